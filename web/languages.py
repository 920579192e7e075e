"""Which language a page speaks.

The visitor's own choice wins (the footer switcher's cookie, set by Django's `set_language`),
then what their browser asks for (`Accept-Language`); a signed-in member who said neither reads
their location's `LanguageCulture`; anyone else reads English. Django's `LocaleMiddleware` does
the first two; `members.middleware.MemberLanguageMiddleware` adds the location.
"""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest
from django.utils.translation import get_supported_language_variant
from django.utils.translation.trans_real import parse_accept_lang_header


def supported(code: str | None) -> str | None:
    """The language of ours that `code` ("fr", "fr-CA", "pt-BR") is written in, or None."""
    if not code:
        return None
    try:
        return get_supported_language_variant(code.replace("_", "-").lower())
    except LookupError:
        return None


def requested_language(request: HttpRequest) -> str | None:
    """The language the visitor asked for: their cookie, else their browser's first language
    we speak; None when they asked for none we have (as Django's LocaleMiddleware reads them)."""
    chosen = supported(request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME))
    if chosen:
        return chosen
    for code, _quality in parse_accept_lang_header(request.headers.get("Accept-Language", "")):
        if code == "*":
            break
        chosen = supported(code)
        if chosen:
            return chosen
    return None


def culture_language(culture: str | None) -> str | None:
    """The language of a Nexudus culture ("fr-FR" -> "fr"), when it is one of ours."""
    if not culture:
        return None
    return supported(culture.replace("_", "-").split("-", 1)[0])
