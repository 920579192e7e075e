"""Money and dates in the location's language: thin wrappers over `web.formatting`."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from django import template
from django.conf import settings
from django.utils.safestring import SafeString

from web import formatting
from web.stamps import stamped

register = template.Library()


def culture_of(context: template.Context) -> str | None:
    location = context.get("location")
    return getattr(location, "language_culture", None)


@register.simple_tag(takes_context=True)
def money(context: template.Context, amount: Decimal | None, currency_code: str | None) -> str:
    if amount is None:
        return ""
    return formatting.format_money(amount, currency_code, culture_of(context))


@register.simple_tag(takes_context=True)
def day(context: template.Context, value: date | datetime | None) -> str:
    return formatting.format_day(value, culture_of(context))


# -- the shell, rendered once per look (web.stamps) -----------------------------------------


def _csrf_values(context: template.Context) -> dict[str, object]:
    """The request's CSRF token as a value to stamp in, or nothing when the page has none."""
    token = context.get("csrf_token")
    if token is None or str(token) == "NOTPROVIDED":
        return {}
    return {"csrf_token": str(token)}


def _preview_title(context: template.Context) -> str | None:
    preview = context.get("preview")
    return None if preview is None else str(preview.title)


@register.simple_tag(takes_context=True)
def site_top(context: template.Context) -> SafeString:
    """The head's links, the body's opening tag and the site header (includes/site_top.html)."""
    request = context.get("request")
    match = getattr(request, "resolver_match", None)
    member = context.get("member")
    location = context.get("location")
    brand = context.get("brand")
    values = _csrf_values(context)
    if member:
        values["member_name"] = member.full_name
    look = {
        "brand_version": getattr(brand, "version", None),
        "location_name": getattr(location, "name", None) or None,
        "preview_title": _preview_title(context),
        "signed_in": bool(member),
        "section": _section(match),
        "has_csrf": "csrf_token" in values,
    }
    return stamped("includes/site_top.html", look, values)


def _section(match: object) -> str:
    if getattr(match, "url_name", None) == "dashboard":
        return "dashboard"
    return "invoices" if getattr(match, "app_name", None) == "invoices" else ""


@register.simple_tag(takes_context=True)
def language_switcher(context: template.Context) -> SafeString:
    """The footer's language switcher (includes/language_switcher.html)."""
    request = context["request"]
    values = _csrf_values(context)
    values["next_path"] = context.get("language_next") or request.get_full_path()
    look = {
        "languages": tuple(tuple(language) for language in settings.LANGUAGES),
        "in_preview": context.get("preview") is not None,
        "has_csrf": "csrf_token" in values,
    }
    return stamped("includes/language_switcher.html", look, values)
