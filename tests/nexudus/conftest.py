from __future__ import annotations

from collections.abc import Iterator

import pytest
import responses

from nexudus.api import Api
from nexudus.http import Transport

BASE_URL = "https://myspace.spaces.nexudus.test"


@pytest.fixture
def base_url(settings: object) -> str:
    settings.NEXUDUS_BASE_URL = BASE_URL  # type: ignore[attr-defined]
    return BASE_URL


@pytest.fixture
def sleeps() -> list[float]:
    """What the transport would have slept, instead of sleeping."""
    return []


@pytest.fixture
def session(sleeps: list[float]) -> Iterator[Transport]:
    """The client's transport, with a sleep that records and a jitter that always picks the
    top of the range, so backoff is predictable."""
    transport = Transport(sleep=sleeps.append, random=lambda: 1.0)
    yield transport
    transport.close()


@pytest.fixture
def api(session: Transport) -> Api:
    """The API over that transport; the base URL is read from settings at call time."""
    return Api(session)


@pytest.fixture
def upstream(base_url: str, session: Transport) -> Iterator[responses.RequestsMock]:
    """A faked Nexudus at BASE_URL; every call must be registered."""
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        yield mock
