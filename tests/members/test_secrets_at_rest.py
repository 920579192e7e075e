"""Secrets at rest: what the session row and the shared cache hold must not give away a
password, a token, a session key or an e-mail address to whoever reads them."""

from __future__ import annotations

import hashlib
import pickle
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from importlib import import_module

import pytest
from django.conf import settings
from django.contrib.sessions.models import Session
from django.core.cache.backends.locmem import LocMemCache
from django.test import Client

from members.pending import PENDING_KEY, read_pending
from members.tokens import read_tokens, write_tokens
from tests.conftest import DEMO_TOTP, sign_in

pytestmark = pytest.mark.django_db


def _session_of(browser: Client):
    engine = import_module(settings.SESSION_ENGINE)
    return engine.SessionStore(session_key=browser.cookies[settings.SESSION_COOKIE_NAME].value)


def test_the_password_waits_sealed_between_sign_in_steps(
    client: Client, sandbox, two_factor_member
) -> None:
    client.post("/login/", {"email": two_factor_member.email, "password": "demo-pass-1"})
    session = _session_of(client)

    row = Session.objects.get(session_key=session.session_key)
    assert "demo-pass-1" not in row.session_data
    assert "demo-pass-1" not in str(row.get_decoded())
    assert "demo-pass-1" not in str(session[PENDING_KEY])
    # ...and yet the code step still has it to give Nexudus.
    assert read_pending(session).password == "demo-pass-1"
    assert client.post("/login/", {"totp": DEMO_TOTP})["Location"] == "/"


def test_a_pending_password_sealed_with_another_key_starts_the_sign_in_over(
    client: Client, sandbox, two_factor_member, settings
) -> None:
    client.post("/login/", {"email": two_factor_member.email, "password": "demo-pass-1"})
    settings.SECRET_KEY = "another-secret-key-" + "z" * 40
    response = client.post("/login/", {"totp": DEMO_TOTP})
    assert response.status_code == 400
    assert "Please sign in again" in response.content.decode()


@dataclass
class CacheSpy:
    """Every key and value written to the local-memory cache, expired or deleted since."""

    writes: list[tuple[str, object]] = field(default_factory=list)

    def text(self) -> str:
        return "\n".join(f"{key} {value!r}" for key, value in self.writes)


@pytest.fixture
def cache_spy(monkeypatch) -> Iterator[CacheSpy]:
    # Every add() and set() of the local-memory cache ends in _set, with the full key.
    spy = CacheSpy()
    original = LocMemCache._set

    def spying_set(self, key, value, timeout=None):
        spy.writes.append((key, pickle.loads(value)))  # noqa: S301 - our own cache, in a test
        return original(self, key, value, timeout)

    monkeypatch.setattr(LocMemCache, "_set", spying_set)
    yield spy


@pytest.mark.parametrize(
    "engine",
    ["web.db_sessions", "web.sessions"],
    ids=["database sessions", "cache sessions (REDIS_URL)"],
)
def test_no_session_key_email_or_token_reaches_the_cache(
    client: Client, sandbox, member, cache_spy: CacheSpy, settings, engine
) -> None:
    settings.SESSION_ENGINE = engine
    sign_in(client, member)
    session = _session_of(client)
    # A refresh (the access token about to expire), then a PDF click (a media token).
    write_tokens(session, replace(read_tokens(session), expires_at=0))
    session.save()
    assert client.get("/").status_code == 200
    pdf = client.get("/invoices/30001/pdf/")
    assert pdf.status_code == 302
    assert client.get("/invoices/30001/pdf/")["Location"] == pdf["Location"]  # from the cache

    state = sandbox.app.state
    assert len(sandbox.app.calls("/api/token")) == 2
    media_token = pdf["Location"].split("t=")[1]
    secrets = [
        session.session_key,
        member.email,
        member.password,
        media_token,
        *state.access_tokens,
        *state.refresh_tokens,
    ]
    # An unkeyed hash of an e-mail is as good as the e-mail: anyone can hash a guess.
    secrets += [hashlib.sha256(member.email.encode()).hexdigest()[:16]]
    written = cache_spy.text()
    assert "media-jwt:" in written and "member-refresh-lock:" in written
    assert "throttle:" in written
    for secret in secrets:
        assert secret not in written


def test_cache_sessions_still_end_at_sign_out(client: Client, sandbox, member, settings) -> None:
    settings.SESSION_ENGINE = "web.sessions"
    sign_in(client, member)
    key = client.cookies[settings.SESSION_COOKIE_NAME].value
    store = import_module("web.sessions").SessionStore
    assert store().exists(key)
    assert client.get("/").status_code == 200
    client.post("/logout/")
    assert not store().exists(key)
    replay = Client()
    replay.cookies[settings.SESSION_COOKIE_NAME] = key
    assert replay.get("/").status_code == 302


def test_database_session_rows_are_sealed_and_read_through_the_cache(
    client: Client, sandbox, member, settings, django_assert_num_queries
) -> None:
    """Issue 15: no session query on a repeat page; issue 14: no token or e-mail in the row."""
    from django.contrib.sessions.models import Session
    from django.core.cache import cache

    settings.SESSION_ENGINE = "web.db_sessions"
    sign_in(client, member)
    key = client.cookies[settings.SESSION_COOKIE_NAME].value
    row = Session.objects.get(session_key=key).session_data
    tokens = [*sandbox.app.state.access_tokens, *sandbox.app.state.refresh_tokens]
    assert tokens
    # Django's own rows are only signed: base64 of JSON anyone can read. Ours are sealed.
    import base64
    import zlib

    from web.crypto import unseal

    raw = base64.urlsafe_b64decode(row.split(":")[0] + "===")
    for readable in (row.encode(), raw):
        for secret in [*tokens, member.email, "Lovelace"]:
            assert secret.encode() not in readable
    with pytest.raises(zlib.error):
        zlib.decompress(raw)
    assert any(token in unseal(row, purpose="web.db_sessions").decode() for token in tokens)
    client.get("/")
    with django_assert_num_queries(0):
        assert client.get("/").status_code == 200
    # With the cache gone (a restart), the sealed row still holds the session.
    cache.clear()
    assert "Hello, Ada" in client.get("/").content.decode()
