"""The members' pages as page functions: the views and the staff preview both call these."""

from __future__ import annotations

from collections.abc import Mapping
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
    errors: Mapping[str, str] | None = None,
    problem: str = "",
    notice: str = "",
    must_reset: bool = False,
    status: int = 200,
) -> Page:
    """The sign-in form. `errors` maps a field to what is wrong with it (GOV.UK pattern);
    `problem` is what is wrong with the attempt as a whole (the billing system is down)."""
    context = {
        "step": step,
        "next": next_url,
        "email": email,
        "errors": dict(errors or {}),
        "problem": problem,
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
        errors = {"password": message}
        return sign_in_page(next_url=next_url, email=email, errors=errors, status=400)
    if isinstance(error, MustResetPassword):
        return sign_in_page(next_url=next_url, email=email, must_reset=True, status=400)
    message = _(
        "We could not reach the billing system just now, so you are not signed in yet. "
        "Please try again in a moment."
    )
    return sign_in_page(next_url=next_url, email=email, problem=message, status=503)


def dashboard_page(nexudus: Any, today: date, **panel_options: Any) -> Page:
    """The member's home: a greeting, then each app's panel (options go to the panels)."""
    parts = panels.build_all(nexudus, today, **panel_options)
    return Page("members/dashboard.html", {"panels": parts})


def sign_out_page() -> Page:
    """A GET of /logout/: the button that signs out (signing out is a POST)."""
    return Page("members/logout.html")
