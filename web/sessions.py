"""Sessions in the shared cache (Redis) that a reader of the cache cannot use.

Django's cache session store names each entry after the session key (the cookie's value) and
keeps the session's contents as they are: whoever can read Redis could take over any session
and read its Nexudus tokens. This store keys entries by a keyed digest of the session key and
seals their contents (web.crypto); everything else is Django's. `SESSION_ENGINE = "web.sessions"`.
"""

from __future__ import annotations

import json
from typing import Any

from django.contrib.sessions.backends import cache as cache_sessions
from django.core.cache.backends.base import BaseCache

from web.crypto import Unsealable, keyed_digest, seal, unseal

_PURPOSE = "web.sessions"


class SealingCache:
    """The few cache calls Django's cache session store makes, with each key replaced by its
    keyed digest and each value sealed."""

    def __init__(self, cache: BaseCache) -> None:
        self.cache = cache

    def get(self, key: str) -> dict[str, Any] | None:
        stored = self.cache.get(_hidden(key))
        if not isinstance(stored, str):
            return None  # absent, or written by another release: a fresh session
        try:
            return json.loads(unseal(stored, purpose=_PURPOSE))
        except (Unsealable, ValueError):
            return None

    def add(self, key: str, value: dict[str, Any], timeout: int) -> bool:
        return self.cache.add(_hidden(key), _sealed(value), timeout)

    def set(self, key: str, value: dict[str, Any], timeout: int) -> None:
        self.cache.set(_hidden(key), _sealed(value), timeout)

    def delete(self, key: str) -> bool:
        return self.cache.delete(_hidden(key))

    def __contains__(self, key: str) -> bool:
        return self.cache.has_key(_hidden(key))


def _hidden(key: str) -> str:
    # Django's key is its prefix and the session key: keep neither in the clear.
    return f"portal.session:{keyed_digest(_PURPOSE, key)}"


def _sealed(value: dict[str, Any]) -> str:
    return seal(json.dumps(value, separators=(",", ":")).encode(), purpose=_PURPOSE)


class SessionStore(cache_sessions.SessionStore):
    """Django's cache session store over `SealingCache` (synchronous use only: the portal
    runs under WSGI, and the async methods would reach the cache around it)."""

    def __init__(self, session_key: str | None = None) -> None:
        super().__init__(session_key)
        self._cache = SealingCache(self._cache)  # type: ignore[assignment]
