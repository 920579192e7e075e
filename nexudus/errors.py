"""The few failures the rest of the portal has to tell apart when it talks to Nexudus.

Messages carry only the method, the path and the status (or a short reason of ours): never a
token, a password, a query string or upstream body text, which may be hostile and ends up in
logs and error reports.
"""

from __future__ import annotations

from typing import Self

from web.logging import redact_query_strings


class NexudusError(Exception):
    """Anything that went wrong while talking to Nexudus."""

    def __init__(
        self,
        reason: str,
        *,
        method: str | None = None,
        path: str | None = None,
        status: int | None = None,
    ) -> None:
        self.reason = reason
        self.method = method
        self.path = path
        self.status = status
        where = f"{method} {path} -> " if method and path else ""
        super().__init__(f"{where}{reason}")

    def locate(self, method: str, path: str, status: int | None = None) -> Self:
        """Say which call failed (errors raised while parsing don't know it yet)."""
        self.method, self.path, self.status = method, path, status
        self.args = (f"{method} {path} -> {self.reason}",)
        return self


class Unavailable(NexudusError):
    """Nexudus is down, slow, throttling us, or the call ran out of time: try again later."""


class Unauthorized(NexudusError):
    """HTTP 401: the bearer or media token is missing, expired or not allowed."""


class NotFound(NexudusError):
    """HTTP 404, or an id that cannot exist."""


class BadResponse(NexudusError):
    """Nexudus answered something we cannot use: a bad shape, a redirect, a huge body."""


class SignInRefused(NexudusError):
    """/api/token refused the credentials; the subclass says what the member should do next."""


class InvalidCredentials(SignInRefused):
    """Wrong e-mail or password, not registered here, or suspended (Nexudus won't say which)."""


class TwoFactorRequired(SignInRefused):
    """The account has two-factor auth and the 6-digit code was missing or wrong."""


class MustResetPassword(SignInRefused):
    """The account must set a new password before it can sign in."""


class UpstreamCause(Exception):
    """Stands in for a library exception as the `__cause__` of our errors.

    Library messages can quote the full URL (query strings carry media JWTs and gateway ids) or
    bits of the upstream body (`invalid literal for int(): '<script>...'`). Tracebacks of our
    errors end up in logs and error reports, so the chained cause keeps the original type and
    traceback but only a message with query strings removed, or no message at all.
    """


def cause(exc: BaseException, *, keep_message: bool = True) -> UpstreamCause:
    """A safe stand-in for `exc`, to `raise ... from cause(exc)`.

    keep_message=False for exceptions raised while parsing upstream data, whose messages may
    quote that data.
    """
    name = f"{type(exc).__module__}.{type(exc).__qualname__}"
    detail = f"{name}: {redact_query_strings(str(exc))}" if keep_message else name
    stand_in = UpstreamCause(detail)
    stand_in.__traceback__ = exc.__traceback__
    # The original's own chain (socket errors, MaxRetryError) quotes URLs too: drop it.
    stand_in.__suppress_context__ = True
    return stand_in


class SessionExpired(Exception):
    """The member's Nexudus session cannot be renewed: they must sign in again.

    Not a NexudusError on purpose: pages that show "Nexudus is down" for those must not swallow
    this one, which the members middleware turns into a trip to the sign-in page.
    """
