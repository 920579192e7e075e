"""Staff sign-in at /admin/: Django's admin site, with the members' sign-in throttle and a
second factor (a TOTP code, django-otp).

Superusers must give a code when `SUPERUSER_OTP_REQUIRED` (on whenever debug is off); anyone
who has enrolled a device (`manage.py enrol_totp`) must give theirs whatever the setting, or
enrolling would protect nothing. The admin then also refuses a session that skipped the code.
"""

from __future__ import annotations

import logging
import re
from typing import Any

from django import forms
from django.conf import settings
from django.contrib.admin import AdminSite
from django.contrib.admin.forms import AdminAuthenticationForm
from django.contrib.auth.base_user import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext_lazy as _
from django.views.decorators.debug import sensitive_variables
from django_otp import devices_for_user, user_has_device, verify_token
from django_otp.models import Device

from members import throttle

logger = logging.getLogger("portal.staff")

# ASCII digits only, like the members' code: `\d` would take digits Nexudus and apps never show.
CODE_PATTERN = re.compile(r"[0-9]{6}", re.ASCII)


def needs_code(user: Any) -> bool:
    if not getattr(user, "is_authenticated", False):
        return False
    if settings.SUPERUSER_OTP_REQUIRED and user.is_superuser:
        return True
    return bool(user_has_device(user))


class StaffSignInForm(AdminAuthenticationForm):
    otp_token = forms.CharField(
        required=False,
        max_length=16,
        label=_("Authenticator code"),
        help_text=_("The 6-digit code from your authenticator app, if your account has one."),
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "numeric"}),
    )

    error_messages = {
        **AdminAuthenticationForm.error_messages,
        # One message whatever was wrong, so a right password with a wrong code says nothing.
        "invalid_login": _(
            "Please enter the correct %(username)s, password and authenticator code (if your "
            "account has one) for a staff account. Note that the fields may be case-sensitive."
        ),
        "throttled": _("Too many attempts. Please wait a few minutes and try again."),
    }

    # Seconds to wait, when the throttle refused this attempt: the site answers 429 with it.
    retry_after: int | None = None

    @sensitive_variables()
    def clean(self) -> dict[str, Any]:
        username = self.cleaned_data.get("username")
        if not username or not self.cleaned_data.get("password"):
            return super().clean()  # the missing field says so; nothing to count
        account = throttle.Account.staff(username)
        try:
            attempt = throttle.reserve(self.request, account)
        except throttle.Throttled as refused:
            self.retry_after = refused.retry_after
            raise ValidationError(self.error_messages["throttled"], code="throttled") from None
        with attempt:
            try:
                super().clean()
                self._check_code(self.get_user())
            except ValidationError:
                attempt.failed()
                logger.info("staff sign-in refused (account %s)", account.log_id)
                raise
        logger.info("staff sign-in succeeded (account %s)", account.log_id)
        return self.cleaned_data

    def _check_code(self, user: AbstractBaseUser) -> None:
        if not needs_code(user):
            return
        device = _verified_device(user, self.cleaned_data.get("otp_token") or "")
        if device is None:
            raise self.get_invalid_login_error()
        # django-otp marks the session verified when Django's login() sees this attribute.
        user.otp_device = device  # type: ignore[attr-defined]


@sensitive_variables("code")
def _verified_device(user: AbstractBaseUser, code: str) -> Device | None:
    code = code.strip().replace(" ", "")
    if not CODE_PATTERN.fullmatch(code):
        return None
    for device in devices_for_user(user):
        # verify_token locks the device row and applies django-otp's own per-device back-off.
        verified = verify_token(user, device.persistent_id, code)
        if verified is not None:
            return verified
    return None


class StaffAdminSite(AdminSite):
    """`admin.site` (see portal.apps): Django's admin, signed in to through StaffSignInForm."""

    login_form = StaffSignInForm
    login_template = "admin/staff_login.html"

    def has_permission(self, request: HttpRequest) -> bool:
        user = request.user
        if not super().has_permission(request):
            return False
        # A session that never gave the code (signed in some other way) is not enough.
        return not needs_code(user) or bool(getattr(user, "is_verified", lambda: False)())

    def login(self, request: HttpRequest, extra_context: dict[str, Any] | None = None) -> Any:
        response: HttpResponse = super().login(request, extra_context)
        form = (getattr(response, "context_data", None) or {}).get("form")
        if isinstance(form, StaffSignInForm) and form.retry_after is not None:
            response.status_code = 429
            response["Retry-After"] = str(form.retry_after)
        elif request.method == "POST" and response.status_code == 302:
            # Signed in: this browser is now known to the account (see members.throttle).
            account = throttle.Account.staff(request.user.get_username())
            throttle.remember_device(request, response, account)
        return response
