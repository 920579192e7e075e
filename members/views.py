"""Sign-in (password, then the two-step code when asked), sign-out and the dashboard."""

from __future__ import annotations

import logging

from django.contrib.auth.decorators import login_not_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters, sensitive_variables
from django.views.decorators.http import require_GET, require_http_methods

from members import throttle
from members.forms import CodeForm, SignInForm, field_errors
from members.pages import dashboard_page, refusal_page, sign_in_page, sign_out_page
from members.pending import PendingSignIn, forget_pending, read_pending, remember_pending
from members.session import (
    end_member_session,
    new_client_id,
    safe_next,
    show_the_space,
    start_member_session,
)
from nexudus import (
    InvalidCredentials,
    MustResetPassword,
    NexudusError,
    TwoFactorRequired,
    Welcome,
)
from web.formatting import location_today
from web.pages import Page, render_page, see_other

logger = logging.getLogger("members.signin")

_NOTICES = {
    "expired": gettext_lazy("Your session has ended. Please sign in again."),
    "signed-out": gettext_lazy("You have signed out."),
}


@require_GET
def dashboard(request: HttpRequest) -> HttpResponse:
    location = request.location  # type: ignore[attr-defined]
    today = location_today(location.time_zone if location else None)
    culture = location.language_culture if location else None
    page = dashboard_page(request.nexudus, today, culture=culture)  # type: ignore[attr-defined]
    return render_page(request, page)


@login_not_required
@sensitive_post_parameters("password", "totp")
@require_http_methods(["GET", "POST"])
@never_cache
def login(request: HttpRequest) -> HttpResponse:
    if request.method == "GET":
        return _sign_in_form(request)
    if "totp" in request.POST:
        return _sign_in_with_code(request, CodeForm(request.POST))
    return _sign_in_with_password(request, SignInForm(request.POST))


@login_not_required
@require_http_methods(["GET", "POST"])
def logout(request: HttpRequest) -> HttpResponse:
    if request.method == "GET":
        # A link to /logout/ gets the button: signing out changes state, so it is a POST.
        if request.member is None:  # type: ignore[attr-defined]
            return redirect("login")
        return render_page(request, sign_out_page())
    # Signing out is purely local (Nexudus has no revoke endpoint), so it works when it is down.
    end_member_session(request)
    response = see_other(f"{reverse('login')}?reason=signed-out")
    response["Clear-Site-Data"] = '"cache", "storage"'
    return response


# --- Sign-in steps ----------------------------------------------------------------------------


def _sign_in_form(request: HttpRequest) -> HttpResponse:
    next_url = safe_next(request, request.GET.get("next"))
    if request.GET.get("restart"):
        forget_pending(request.session)
    if request.member is not None:  # type: ignore[attr-defined]
        return redirect(next_url)
    pending = read_pending(request.session)
    notice = str(_NOTICES.get(request.GET.get("reason", ""), ""))
    page = sign_in_page(
        next_url=next_url,
        step="totp" if pending else "password",
        email=pending.email if pending else "",
        notice=notice,
    )
    return _render(request, page)


@sensitive_variables("form", "password")
def _sign_in_with_password(request: HttpRequest, form: SignInForm) -> HttpResponse:
    forget_pending(request.session)
    next_url = safe_next(request, form.data.get("next"))
    if not form.is_valid():
        email = form.cleaned_data.get("email", "")
        errors = field_errors(form)
        page = sign_in_page(next_url=next_url, email=email, errors=errors, status=400)
        return _render(request, page)
    email, password = form.cleaned_data["email"], form.cleaned_data["password"]
    throttled = _throttled(request, email, next_url)
    if throttled is not None:
        return throttled
    client_id = new_client_id()
    try:
        welcome = request.nexudus.sign_in(email, password, client_id=client_id)  # type: ignore[attr-defined]
    except TwoFactorRequired:
        remember_pending(request.session, PendingSignIn.start(email, password, client_id))
        # The code step is the sign-in page's GET while a sign-in is pending.
        return see_other(f"{reverse('login')}?{urlencode({'next': next_url})}")
    except NexudusError as error:
        return _refused(request, next_url, email, error)
    return _finish_sign_in(request, next_url, welcome, client_id)


def _sign_in_with_code(request: HttpRequest, form: CodeForm) -> HttpResponse:
    next_url = safe_next(request, form.data.get("next"))
    pending = read_pending(request.session)
    if pending is None:
        notice = _("That took a little too long. Please sign in again.")
        return _render(request, sign_in_page(next_url=next_url, notice=notice, status=400))
    if not form.is_valid():
        page = sign_in_page(
            next_url=next_url,
            step="totp",
            email=pending.email,
            errors=field_errors(form),
            status=400,
        )
        return _render(request, page)
    throttled = _throttled(request, pending.email, next_url, step="totp")
    if throttled is not None:
        return throttled
    try:
        welcome = request.nexudus.sign_in(  # type: ignore[attr-defined]
            pending.email,
            pending.password,
            client_id=pending.client_id,
            totp=form.cleaned_data["totp"],
        )
    except TwoFactorRequired:
        throttle.record_sign_in_failure(pending.email, throttle.client_address(request))
        logger.info("sign-in refused: wrong 2FA code")
        errors = {"totp": _("That code did not work. Check your authenticator app and try again.")}
        page = sign_in_page(
            next_url=next_url, step="totp", email=pending.email, errors=errors, status=400
        )
        return _render(request, page)
    except NexudusError as error:
        forget_pending(request.session)
        return _refused(request, next_url, pending.email, error)
    forget_pending(request.session)
    return _finish_sign_in(request, next_url, welcome, pending.client_id)


def _finish_sign_in(
    request: HttpRequest, next_url: str, welcome: Welcome, client_id: str
) -> HttpResponse:
    start_member_session(request, welcome, client_id)
    logger.info("sign-in succeeded")
    return see_other(next_url)


def _refused(request: HttpRequest, next_url: str, email: str, error: NexudusError) -> HttpResponse:
    if isinstance(error, InvalidCredentials):
        throttle.record_sign_in_failure(email, throttle.client_address(request))
        logger.info("sign-in refused: invalid credentials")
    elif isinstance(error, MustResetPassword):
        logger.info("sign-in refused: password reset required")
    else:
        logger.warning("sign-in failed upstream: %s", type(error).__name__)
    return _render(request, refusal_page(error, next_url=next_url, email=email))


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
    page = sign_in_page(next_url=next_url, email=email, step=step, problem=message, status=429)
    response = _render(request, page)
    response["Retry-After"] = str(wait)
    return response


def _render(request: HttpRequest, page: Page) -> HttpResponse:
    """The sign-in page wears the space's name and colour, even for a visitor."""
    show_the_space(request)
    return render_page(request, page)
