"""The members' pages as page functions: the views and the staff preview both call these."""

from __future__ import annotations

from datetime import date
from typing import Any

from django.conf import settings
from django.utils.translation import gettext as _

from nexudus import InvalidCredentials, MustResetPassword, NexudusError
from web import panels
from web.pages import Page


def sign_in_page(
    *,
    next_url: str,
    step: str = "password",
    email: str = "",
    error: str = "",
    notice: str = "",
    must_reset: bool = False,
    status: int = 200,
) -> Page:
    context = {
        "step": step,
        "next": next_url,
        "email": email,
        "error": error,
        "notice": notice,
        "must_reset": must_reset,
        "password_reset_url": settings.NEXUDUS_PASSWORD_RESET_URL,
    }
    return Page("members/login.html", context, status)


def refusal_page(error: NexudusError, *, next_url: str, email: str) -> Page:
    """The sign-in page after Nexudus said no (or nothing): what the member sees, no more."""
    if isinstance(error, InvalidCredentials):
        # One message for a wrong password, an unknown address and a suspended account alike:
        # the page must not tell anyone which addresses have accounts.
        message = _("That e-mail address and password do not match an account here.")
        return sign_in_page(next_url=next_url, email=email, error=message, status=400)
    if isinstance(error, MustResetPassword):
        return sign_in_page(next_url=next_url, email=email, must_reset=True, status=400)
    message = _(
        "We could not reach the booking system just now, so you are not signed in yet. "
        "Please try again in a moment."
    )
    return sign_in_page(next_url=next_url, email=email, error=message, status=503)


def dashboard_page(nexudus: Any, today: date, **panel_options: Any) -> Page:
    """The member's home: a greeting, then each app's panel (options go to the panels)."""
    parts = panels.build_all(nexudus, today, **panel_options)
    return Page("members/dashboard.html", {"panels": parts})
