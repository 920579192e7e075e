"""A two-step sign-in between its steps: who is signing in, kept in the server-side session.

Nexudus wants the password again with the code, so it waits here, never in the page, and is
gone after `PENDING_SECONDS`.
"""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass

from django.contrib.sessions.backends.base import SessionBase

PENDING_KEY = "signin.pending"
PENDING_SECONDS = 300


@dataclass(frozen=True, slots=True)
class PendingSignIn:
    email: str
    password: str
    client_id: str
    expires_at: float

    def __repr__(self) -> str:
        return "PendingSignIn(<hidden>)"

    @classmethod
    def start(cls, email: str, password: str, client_id: str) -> PendingSignIn:
        return cls(email, password, client_id, time.time() + PENDING_SECONDS)


def remember_pending(session: SessionBase, pending: PendingSignIn) -> None:
    # The whole session lives no longer than the password in it: abandoned, both are gone.
    session.set_expiry(PENDING_SECONDS)
    session[PENDING_KEY] = asdict(pending)


def read_pending(session: SessionBase) -> PendingSignIn | None:
    raw = session.get(PENDING_KEY)
    if not isinstance(raw, dict):
        return None
    try:
        pending = PendingSignIn(**raw)
    except TypeError:
        return None
    if pending.expires_at < time.time():
        forget_pending(session)
        return None
    return pending


def forget_pending(session: SessionBase) -> None:
    session.pop(PENDING_KEY, None)
