"""Money and dates in the location's language: thin wrappers over `web.formatting`."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from django import template

from web import formatting

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
