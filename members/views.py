"""Sign-in (password, then the two-step code when asked), sign-out and the dashboard."""

from __future__ import annotations

import logging

from django.contrib.auth.decorators import login_not_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters, sensitive_variables
from django.views.decorators.http import require_http_methods, require_safe

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
    Unavailable,
    Welcome,
)
from web.formatting import location_today
from web.pages import Page, render_page, see_other

logger = logging.getLogger("members.signin")

_NOTICES = {
    "expired": gettext_lazy("Your session has ended. Please sign in again."),
    "signed-out": gettext_lazy("You have signed out."),
}


@require_safe
def dashboard(request: HttpRequest) -> HttpResponse:
    location = request.location  # type: ignore[attr-defined]
    today = location_today(location.time_zone if location else None)
    culture = location.language_culture if location else None
    time_zone = location.time_zone if location else None
    page = dashboard_page(request.nexudus, today, culture=culture, time_zone=time_zone)  # type: ignore[attr-defined]
    return render_page(request, page)


@login_not_required
@sensitive_post_parameters("password", "totp")
@require_http_methods(["GET", "HEAD", "POST"])
@never_cache
def login(request: HttpRequest) -> HttpResponse:
    if request.method in ("GET", "HEAD"):
        return _sign_in_form(request)
    if "totp" in request.POST:
        return _sign_in_with_code(request, CodeForm(request.POST))
    return _sign_in_with_password(request, SignInForm(request.POST))


@login_not_required
@require_http_methods(["GET", "HEAD", "POST"])
def logout(request: HttpRequest) -> HttpResponse:
    if request.method in ("GET", "HEAD"):
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
    account = throttle.Account.member(email)
    try:
        attempt = throttle.reserve(request, account)
    except throttle.Throttled as refused:
        return _throttled(request, email, next_url, refused.retry_after)
    client_id = new_client_id()
    with attempt:
        try:
            welcome = request.nexudus.sign_in(email, password, client_id=client_id)  # type: ignore[attr-defined]
        except TwoFactorRequired:
            # The password was right: the slot goes back, the code step takes one of its own.
            remember_pending(request.session, PendingSignIn.start(email, password, client_id))
            # The code step is the sign-in page's GET while a sign-in is pending.
            return see_other(f"{reverse('login')}?{urlencode({'next': next_url})}")
        except NexudusError as error:
            if _may_have_been_checked(error):
                attempt.failed()
            return _refused(request, next_url, email, account, error)
    return _finish_sign_in(request, next_url, welcome, client_id, account)


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
    account = throttle.Account.member(pending.email)
    try:
        attempt = throttle.reserve(request, account)
    except throttle.Throttled as refused:
        return _throttled(request, pending.email, next_url, refused.retry_after, step="totp")
    with attempt:
        try:
            welcome = request.nexudus.sign_in(  # type: ignore[attr-defined]
                pending.email,
                pending.password,
                client_id=pending.client_id,
                totp=form.cleaned_data["totp"],
            )
        except TwoFactorRequired:
            attempt.failed()
            logger.info("sign-in refused: wrong 2FA code (account %s)", account.log_id)
            message = _("That code did not work. Check your authenticator app and try again.")
            page = sign_in_page(
                next_url=next_url,
                step="totp",
                email=pending.email,
                errors={"totp": message},
                status=400,
            )
            return _render(request, page)
        except NexudusError as error:
            if _may_have_been_checked(error):
                attempt.failed()
            forget_pending(request.session)
            return _refused(request, next_url, pending.email, account, error)
    forget_pending(request.session)
    return _finish_sign_in(request, next_url, welcome, pending.client_id, account)


def _may_have_been_checked(error: NexudusError) -> bool:
    """Does this refusal count as a guess? A slot goes back only when the credentials were
    surely not wrong (must reset means they were right) or surely not looked at (Nexudus said
    5xx or 429). A call that timed out or was cut off counts: Nexudus may have checked the
    password, and an attacker who could slow it down must not get guesses for free."""
    if isinstance(error, MustResetPassword):
        return False
    not_looked_at = error.status is not None and (error.status >= 500 or error.status == 429)
    return not (isinstance(error, Unavailable) and not_looked_at)


def _finish_sign_in(
    request: HttpRequest,
    next_url: str,
    welcome: Welcome,
    client_id: str,
    account: throttle.Account,
) -> HttpResponse:
    start_member_session(request, welcome, client_id)
    logger.info("sign-in succeeded (account %s)", account.log_id)
    response = see_other(next_url)
    # From now on this browser's failures on this account count apart from everyone else's.
    throttle.remember_device(request, response, account)
    return response


def _refused(
    request: HttpRequest,
    next_url: str,
    email: str,
    account: throttle.Account,
    error: NexudusError,
) -> HttpResponse:
    if isinstance(error, InvalidCredentials):
        logger.info("sign-in refused: invalid credentials (account %s)", account.log_id)
    elif isinstance(error, MustResetPassword):
        logger.info("sign-in refused: password reset required (account %s)", account.log_id)
    else:
        logger.warning("sign-in failed upstream: %s", type(error).__name__)
    return _render(request, refusal_page(error, next_url=next_url, email=email))


def _throttled(
    request: HttpRequest, email: str, next_url: str, wait: int, step: str = "password"
) -> HttpResponse:
    if wait >= 60:
        minutes = max(1, round(wait / 60))
        message = ngettext(
            "Too many attempts. Please wait %(minutes)s minute and try again.",
            "Too many attempts. Please wait %(minutes)s minutes and try again.",
            minutes,
        ) % {"minutes": minutes}
    else:
        message = _("Too many attempts. Please wait a few seconds and try again.")
    page = sign_in_page(next_url=next_url, email=email, step=step, problem=message, status=429)
    response = _render(request, page)
    response["Retry-After"] = str(wait)
    return response


def _render(request: HttpRequest, page: Page) -> HttpResponse:
    """The sign-in page wears the space's name and colour, even for a visitor."""
    show_the_space(request)
    return render_page(request, page)
