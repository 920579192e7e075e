"""The session as the store of a browser's Nexudus tokens (`nexudus.TokenStore`).

Tokens never leave the server: they live in the session (database or Redis), the browser only
holds the session cookie. The refresh lock lives in the shared cache, so it holds across
threads and, with Redis, across worker processes.
"""

from __future__ import annotations

import secrets
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict
from typing import TypeVar

from django.contrib.sessions.backends.base import SessionBase, UpdateError
from django.core.cache import cache

from nexudus import SessionExpired, StoredTokens
from web.crypto import keyed_digest

T = TypeVar("T")

TOKENS_KEY = "nexudus.tokens"
# How long a refresh may hold the lock (the client's own deadline is 8 s) and how long the
# others wait for it before giving up with a clear "try again".
REFRESH_LOCK_SECONDS = 15
REFRESH_WAIT_SECONDS = 10.0
REFRESH_POLL_SECONDS = 0.05


def read_record(session: SessionBase, key: str, record: type[T]) -> T | None:
    """A dataclass kept in the session as a dict, or None: a session written by another
    release reads as empty, never as a 500."""
    raw = session.get(key)
    if not isinstance(raw, dict):
        return None
    try:
        return record(**raw)
    except TypeError:
        return None


def read_tokens(session: SessionBase) -> StoredTokens | None:
    return read_record(session, TOKENS_KEY, StoredTokens)


def write_tokens(session: SessionBase, tokens: StoredTokens) -> None:
    session[TOKENS_KEY] = asdict(tokens)


class SessionTokenStore:
    """One request's session, seen as a `nexudus.TokenStore`."""

    def __init__(
        self,
        session: SessionBase,
        *,
        clock: Callable[[], float] = time.time,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.session = session
        self.clock = clock
        self.sleep = sleep

    def load(self) -> StoredTokens | None:
        return read_tokens(self.session)

    def load_saved(self) -> StoredTokens | None:
        key = self.session.session_key
        if not key:
            return None
        # A second store object on the same key reads what is saved now, not this request's copy.
        return read_tokens(type(self.session)(session_key=key))

    def keep(self, tokens: StoredTokens) -> None:
        write_tokens(self.session, tokens)

    def save(self, tokens: StoredTokens) -> None:
        write_tokens(self.session, tokens)
        try:
            self.session.save()
        except UpdateError as error:
            # The session was ended meanwhile (signed out in another tab).
            raise SessionExpired from error

    @contextmanager
    def refresh_lock(self) -> Iterator[bool]:
        # A keyed digest: a session key in a cache key name is a session anyone reading the
        # cache (Redis) could take over.
        session_key = self.session.session_key or ""
        key = f"member-refresh-lock:{keyed_digest('member-refresh-lock', session_key)}"
        token = secrets.token_hex(8)
        deadline = self.clock() + REFRESH_WAIT_SECONDS
        acquired = cache.add(key, token, timeout=REFRESH_LOCK_SECONDS)
        while not acquired and self.clock() < deadline:
            self.sleep(REFRESH_POLL_SECONDS)
            acquired = cache.add(key, token, timeout=REFRESH_LOCK_SECONDS)
        try:
            yield acquired
        finally:
            if acquired and cache.get(key) == token:
                cache.delete(key)

    def end(self) -> None:
        # Nexudus has no revoke endpoint; dropping the tokens here is what signing out means.
        self.session.flush()
