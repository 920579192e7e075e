"""Sign-in, sign-out, the dashboard and the liveness probe."""

from __future__ import annotations

import logging
import re
import time
from dataclasses import dataclass

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.templatetags.static import static
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters, sensitive_variables
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from invoices import views as invoice_views
from portal import members, throttle
from portal.nexudus import client
from portal.nexudus.records import Tokens

logger = logging.getLogger("portal.signin")

# The password waits here, in the server-side session, between the two steps of a 2FA sign-in
# (Nexudus wants it again with the code). Never in the page; gone after this many seconds.
PENDING_KEY = "signin.pending"
PENDING_SECONDS = 300
TOTP_PATTERN = re.compile(r"^\d{6}$")
MAX_EMAIL_LENGTH = 254
MAX_PASSWORD_LENGTH = 1024


@dataclass(frozen=True, slots=True)
class PendingSignIn:
    email: str
    password: str
    client_id: str
    expires_at: float

    def __repr__(self) -> str:
        return "PendingSignIn(<hidden>)"


@members.public
@require_GET
@never_cache
def healthz(request: HttpRequest) -> HttpResponse:
    # Liveness only: it must answer even when Nexudus is down, so it calls nothing upstream.
    return HttpResponse("ok", content_type="text/plain")


@members.public
@require_GET
def favicon(request: HttpRequest) -> HttpResponse:
    # Browsers ask for /favicon.ico on pages that name no icon, such as the admin's.
    return redirect(static("img/favicon.svg"), permanent=True)


ROBOTS = """User-agent: *
Disallow: /
"""


@members.public
@require_GET
def robots(request: HttpRequest) -> HttpResponse:
    # Nothing here is for search engines: member pages are private and checkout links are secrets.
    return HttpResponse(ROBOTS, content_type="text/plain")


@require_GET
def dashboard(request: HttpRequest) -> HttpResponse:
    return render(request, "portal/dashboard.html", {"panel": invoice_views.unpaid_panel(request)})


@members.public
@sensitive_post_parameters("password", "totp")
@require_http_methods(["GET", "POST"])
@never_cache
def login(request: HttpRequest) -> HttpResponse:
    next_url = members.safe_next(request, request.POST.get("next") or request.GET.get("next"))
    if request.method == "GET":
        if request.GET.get("restart"):
            request.session.pop(PENDING_KEY, None)
        if request.member is not None:  # type: ignore[attr-defined]
            return redirect(next_url)
        return render_login(request, next_url, step=_step_for(request))
    if "totp" in request.POST:
        return _sign_in_with_code(request, next_url)
    return _sign_in_with_password(request, next_url)


@members.public
@require_POST
def logout(request: HttpRequest) -> HttpResponse:
    # Signing out is purely local (Nexudus has no revoke endpoint), so it works when it is down.
    members.end_member_session(request)
    response = redirect(f"{reverse('login')}?reason=signed-out")
    response["Clear-Site-Data"] = '"cache", "storage"'
    return response


# --- Sign-in steps ----------------------------------------------------------------------------


def _step_for(request: HttpRequest) -> str:
    return "totp" if _pending(request) is not None else "password"


@sensitive_variables("password")
def _sign_in_with_password(request: HttpRequest, next_url: str) -> HttpResponse:
    email = request.POST.get("email", "").strip()[:MAX_EMAIL_LENGTH]
    password = request.POST.get("password", "")[:MAX_PASSWORD_LENGTH]
    request.session.pop(PENDING_KEY, None)
    if not email or not password:
        error = _("Enter your e-mail address and your password.")
        return render_login(request, next_url, email=email, error=error, status=400)
    throttled = _throttled(request, email, next_url)
    if throttled is not None:
        return throttled
    client_id = members.new_client_id()
    try:
        tokens = client.sign_in(email, password, client_id=client_id)
    except client.TwoFactorRequired:
        _remember_pending(request, PendingSignIn(email, password, client_id, _expiry()))
        return render_login(request, next_url, step="totp")
    except client.NexudusError as error:
        return _refused(request, next_url, email, error)
    return _finish_sign_in(request, next_url, tokens, client_id)


def _sign_in_with_code(request: HttpRequest, next_url: str) -> HttpResponse:
    pending = _pending(request)
    if pending is None:
        notice = _("That took a little too long. Please sign in again.")
        return render_login(request, next_url, notice=notice, status=400)
    code = request.POST.get("totp", "").strip().replace(" ", "")
    if not TOTP_PATTERN.match(code):
        error = _("Enter the 6-digit code from your authenticator app.")
        return render_login(request, next_url, step="totp", error=error, status=400)
    throttled = _throttled(request, pending.email, next_url, step="totp")
    if throttled is not None:
        return throttled
    try:
        tokens = client.sign_in(
            pending.email, pending.password, client_id=pending.client_id, totp=code
        )
    except client.TwoFactorRequired:
        throttle.record_sign_in_failure(pending.email, throttle.client_address(request))
        logger.info("sign-in refused: wrong 2FA code")
        error = _("That code did not work. Check your authenticator app and try again.")
        return render_login(request, next_url, step="totp", error=error, status=400)
    except client.NexudusError as error:
        request.session.pop(PENDING_KEY, None)
        return _refused(request, next_url, pending.email, error)
    request.session.pop(PENDING_KEY, None)
    return _finish_sign_in(request, next_url, tokens, pending.client_id)


def _finish_sign_in(
    request: HttpRequest, next_url: str, tokens: Tokens, client_id: str
) -> HttpResponse:
    try:
        me = client.get_me(tokens.access_token)
    except client.NexudusError as error:
        return _refused(request, next_url, "", error)
    try:
        business = client.get_business(tokens.access_token)
    except client.NexudusError:
        # The location's name and locale are niceties; sign the member in without them.
        business = None
    members.start_member_session(request, tokens, client_id, me, business)
    logger.info("sign-in succeeded")
    return redirect(next_url)


def _refused(
    request: HttpRequest, next_url: str, email: str, error: client.NexudusError
) -> HttpResponse:
    if isinstance(error, client.InvalidCredentials):
        throttle.record_sign_in_failure(email, throttle.client_address(request))
        logger.info("sign-in refused: invalid credentials")
    elif isinstance(error, client.MustResetPassword):
        logger.info("sign-in refused: password reset required")
    else:
        logger.warning("sign-in failed upstream: %s", type(error).__name__)
    return refusal_page(request, next_url, email, error)


def refusal_page(
    request: HttpRequest, next_url: str, email: str, error: client.NexudusError
) -> HttpResponse:
    """The sign-in page after Nexudus said no (or nothing): what the member sees, no more."""
    if isinstance(error, client.InvalidCredentials):
        # One message for a wrong password, an unknown address and a suspended account alike:
        # the page must not tell anyone which addresses have accounts.
        message = _("That e-mail address and password do not match an account here.")
        return render_login(request, next_url, email=email, error=message, status=400)
    if isinstance(error, client.MustResetPassword):
        return render_login(request, next_url, email=email, must_reset=True, status=400)
    message = _(
        "We could not reach the booking system just now, so you are not signed in yet. "
        "Please try again in a moment."
    )
    return render_login(request, next_url, email=email, error=message, status=503)


def _throttled(
    request: HttpRequest, email: str, next_url: str, step: str = "password"
) -> HttpResponse | None:
    wait = throttle.sign_in_retry_after(email, throttle.client_address(request))
    if wait is None:
        return None
    logger.warning("sign-in throttled")
    minutes = max(1, round(wait / 60))
    message = _("Too many attempts. Please wait %(minutes)s minutes and try again.") % {
        "minutes": minutes
    }
    response = render_login(request, next_url, email=email, step=step, error=message, status=429)
    response["Retry-After"] = str(wait)
    return response


# --- Pending 2FA state ------------------------------------------------------------------------


def _expiry() -> float:
    return time.time() + PENDING_SECONDS


def _remember_pending(request: HttpRequest, pending: PendingSignIn) -> None:
    # The whole session lives no longer than the password in it: abandoned, both are gone.
    request.session.set_expiry(PENDING_SECONDS)
    request.session[PENDING_KEY] = {
        "email": pending.email,
        "password": pending.password,
        "client_id": pending.client_id,
        "expires_at": pending.expires_at,
    }


def _pending(request: HttpRequest) -> PendingSignIn | None:
    raw = request.session.get(PENDING_KEY)
    if not isinstance(raw, dict):
        return None
    try:
        pending = PendingSignIn(**raw)
    except TypeError:
        return None
    if pending.expires_at < time.time():
        request.session.pop(PENDING_KEY, None)
        return None
    return pending


# --- Rendering --------------------------------------------------------------------------------

_NOTICES = {
    "expired": gettext_lazy("Your session has ended. Please sign in again."),
    "signed-out": gettext_lazy("You have signed out."),
}


def render_login(
    request: HttpRequest,
    next_url: str,
    *,
    step: str = "password",
    email: str = "",
    error: str = "",
    notice: str = "",
    must_reset: bool = False,
    status: int = 200,
) -> HttpResponse:
    if not notice and request.method == "GET":
        notice = str(_NOTICES.get(request.GET.get("reason", ""), ""))
    pending = _pending(request) if step == "totp" else None
    context = {
        "step": step,
        "next": next_url,
        "email": pending.email if pending else email,
        "error": error,
        "notice": notice,
        "must_reset": must_reset,
        "password_reset_url": settings.NEXUDUS_PASSWORD_RESET_URL,
    }
    return render(request, "portal/login.html", context, status=status)
