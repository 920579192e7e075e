"""The only code that speaks to Nexudus (see DESIGN.md). It imports no app of ours.

- `http`: the transport (timeouts, deadline watchdog, retries, caps, log redaction);
- `api`: one method per endpoint, returning `records`;
- `client`: `MemberClient`, bound to one browser session's tokens (`request.nexudus`);
- `errors`: the few failures callers tell apart.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from django.conf import settings

from nexudus.api import Api, InvoiceQuery
from nexudus.client import MemberClient, StoredTokens, TokenStore, Welcome
from nexudus.errors import (
    BadResponse,
    InvalidCredentials,
    MustResetPassword,
    NexudusError,
    NotFound,
    SessionExpired,
    SignInRefused,
    TwoFactorRequired,
    Unauthorized,
    Unavailable,
)
from nexudus.http import Transport

__all__ = [
    "Api",
    "BadResponse",
    "InvalidCredentials",
    "InvoiceQuery",
    "MemberClient",
    "MustResetPassword",
    "NexudusError",
    "NotFound",
    "SessionExpired",
    "SignInRefused",
    "StoredTokens",
    "TokenStore",
    "Transport",
    "TwoFactorRequired",
    "Unauthorized",
    "Unavailable",
    "Welcome",
    "default_api",
]


def default_api() -> Api:
    """The process's Api: one transport (one connection pool) per setting of NEXUDUS_HTTP."""
    return _api_for(tuple(sorted(settings.NEXUDUS_HTTP.items())))


@lru_cache(maxsize=4)
def _api_for(options: tuple[tuple[str, Any], ...]) -> Api:
    return Api(Transport(**dict(options)))
