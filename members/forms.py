"""The forms members post: sign-in, the two-step code. Every POST goes through one of these."""

from __future__ import annotations

import re

from django import forms
from django.utils.translation import gettext_lazy as _

MAX_EMAIL_LENGTH = 254
MAX_PASSWORD_LENGTH = 1024
# ASCII digits only: `\d` would also take Arabic-Indic or full-width digits, which no
# authenticator shows and Nexudus would only refuse after a call.
TOTP_PATTERN = re.compile(r"[0-9]{6}", re.ASCII)


class SignInForm(forms.Form):
    email = forms.CharField(required=False, strip=True)
    password = forms.CharField(required=False, strip=False)
    next = forms.CharField(required=False)

    def clean_email(self) -> str:
        # Longer than any address can be: keep what fits, Nexudus will refuse it anyway.
        return self.cleaned_data["email"][:MAX_EMAIL_LENGTH]

    def clean_password(self) -> str:
        return self.cleaned_data["password"][:MAX_PASSWORD_LENGTH]

    def clean(self) -> dict[str, object]:
        data = super().clean() or {}
        if not data.get("email"):
            self.add_error("email", _("Enter your e-mail address."))
        if not data.get("password"):
            self.add_error("password", _("Enter your password."))
        return data


class CodeForm(forms.Form):
    totp = forms.CharField(required=False)
    next = forms.CharField(required=False)

    def clean_totp(self) -> str:
        code = self.cleaned_data["totp"].strip().replace(" ", "")
        if not TOTP_PATTERN.fullmatch(code):
            raise forms.ValidationError(_("Enter the 6-digit code from your authenticator app."))
        return code


def field_errors(form: forms.Form) -> dict[str, str]:
    """Each field's first message, for the error summary and the field itself."""
    return {field: str(errors[0]) for field, errors in form.errors.items() if errors}
