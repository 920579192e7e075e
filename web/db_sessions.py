"""Sessions in the database, read through the cache, sealed in both (`SESSION_ENGINE`
without REDIS_URL).

Django's `cached_db` store: a session is read from the cache and only on a miss from its
database row, which saves a query on nearly every member page (issue 15). Both copies hold a
member's Nexudus tokens, so both are sealed (web.crypto) and the cache entry is keyed by a
keyed digest of the session key (web.sessions), as with Redis sessions: neither a database
dump nor a cache reader can take over a session. Without Redis the cache is the process's own
memory, which is correct for the single worker the portal runs without Redis (README).
"""

from __future__ import annotations

import json
from typing import Any

from django.contrib.sessions.backends import cached_db

from web.crypto import Unsealable, seal, unseal
from web.sessions import SealingCache

_PURPOSE = "web.db_sessions"


class SessionStore(cached_db.SessionStore):
    def __init__(self, session_key: str | None = None) -> None:
        super().__init__(session_key)
        self._cache = SealingCache(self._cache)  # type: ignore[assignment]

    def encode(self, session_dict: dict[str, Any]) -> str:
        """The row's `session_data`: the session sealed, not merely signed."""
        return seal(json.dumps(session_dict, separators=(",", ":")).encode(), purpose=_PURPOSE)

    def decode(self, session_data: str) -> dict[str, Any]:
        try:
            return json.loads(unseal(session_data, purpose=_PURPOSE))
        except (Unsealable, ValueError):
            # Written by an earlier release (signed, not sealed) or under another key: a fresh
            # session, so the member signs in again once.
            return {}
