"""A two-step sign-in between its steps: who is signing in, kept in the server-side session.

Nexudus wants the password again with the code, so it waits here, never in the page, sealed
(web.crypto): whoever reads the session store (a database dump, Redis) cannot read it. It is
gone after `PENDING_SECONDS`.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from django.contrib.sessions.backends.base import SessionBase
from django.views.decorators.debug import sensitive_variables

from web.crypto import Unsealable, seal, unseal

PENDING_KEY = "signin.pending"
PENDING_SECONDS = 300
_PURPOSE = "members.pending-password"


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


@sensitive_variables()
def remember_pending(session: SessionBase, pending: PendingSignIn) -> None:
    # The whole session lives no longer than the password in it: abandoned, both are gone.
    session.set_expiry(PENDING_SECONDS)
    session[PENDING_KEY] = {
        "email": pending.email,
        "sealed_password": seal(pending.password.encode(), purpose=_PURPOSE),
        "client_id": pending.client_id,
        "expires_at": pending.expires_at,
    }


@sensitive_variables()
def read_pending(session: SessionBase) -> PendingSignIn | None:
    raw = session.get(PENDING_KEY)
    if not isinstance(raw, dict):
        return None
    try:
        password = unseal(str(raw["sealed_password"]), purpose=_PURPOSE).decode()
        pending = PendingSignIn(
            str(raw["email"]), password, str(raw["client_id"]), float(raw["expires_at"])
        )
    except (KeyError, TypeError, ValueError, Unsealable):
        # Written by another release or with another key: start the sign-in again.
        forget_pending(session)
        return None
    if pending.expires_at < time.time():
        forget_pending(session)
        return None
    return pending


def forget_pending(session: SessionBase) -> None:
    session.pop(PENDING_KEY, None)
