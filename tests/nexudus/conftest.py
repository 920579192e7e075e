from __future__ import annotations

from collections.abc import Iterator

import pytest
import responses

from portal.nexudus import client
from portal.nexudus.session import NexudusSession

BASE_URL = "https://myspace.spaces.nexudus.test"


@pytest.fixture
def base_url(settings: object) -> str:
    settings.NEXUDUS_BASE_URL = BASE_URL  # type: ignore[attr-defined]
    return BASE_URL


@pytest.fixture
def sleeps() -> list[float]:
    """What the session would have slept, instead of sleeping."""
    return []


@pytest.fixture
def session(sleeps: list[float]) -> Iterator[NexudusSession]:
    """The client's session, with a sleep that records and a jitter that always picks the top
    of the range, so backoff is predictable."""
    with client.use_session(NexudusSession(sleep=sleeps.append, random=lambda: 1.0)) as s:
        yield s
        s.close()


@pytest.fixture
def upstream(base_url: str, session: NexudusSession) -> Iterator[responses.RequestsMock]:
    """A faked Nexudus at BASE_URL; every call must be registered."""
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        yield mock
