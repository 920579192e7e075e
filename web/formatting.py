"""Dates and money in the location's language, with Babel (never hand-written formats)."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from babel import Locale, UnknownLocaleError
from babel.dates import format_date
from babel.numbers import format_currency, format_decimal, is_currency

DEFAULT_CULTURE = "en-GB"
DEFAULT_TIME_ZONE = "Europe/London"


def babel_locale(culture: str | None) -> Locale:
    """Nexudus sends cultures like "en-GB"; Babel wants "en_GB". Unknown ones fall back."""
    for candidate in (culture, DEFAULT_CULTURE):
        if not candidate:
            continue
        try:
            return Locale.parse(candidate.replace("-", "_"))
        except (ValueError, UnknownLocaleError):
            continue
    return Locale.parse("en_GB")


def format_money(amount: Decimal, currency_code: str | None, culture: str | None) -> str:
    locale = babel_locale(culture)
    try:
        if not currency_code:
            return format_decimal_plain(amount, locale)
        # Babel would glue an unknown code to the number as if it were a symbol ("XYZ1,234.50").
        if not is_currency(currency_code, locale):
            return f"{format_decimal_plain(amount, locale)} {currency_code}"
        return format_currency(amount, currency_code, locale=locale)
    except ArithmeticError:
        # An amount Babel cannot format must not break the page: show it plainly.
        return f"{amount} {currency_code or ''}".strip()


def format_decimal_plain(amount: Decimal, locale: Locale) -> str:
    return format_decimal(amount, format="#,##0.00", locale=locale)


def format_day(value: date | datetime | None, culture: str | None) -> str:
    """A day as the location writes it, e.g. "1 Oct 2026" (en-GB) or "01/10/2026" (pt-PT)."""
    if value is None:
        return ""
    day = value.date() if isinstance(value, datetime) else value
    return format_date(day, format="medium", locale=babel_locale(culture))


def location_today(time_zone: str | None) -> date:
    """Today at the location. Nexudus dates are the location's wall-clock dates, so "overdue"
    must be judged against the location's calendar, not the server's."""
    try:
        zone = ZoneInfo(time_zone or DEFAULT_TIME_ZONE)
    except (ZoneInfoNotFoundError, ValueError):
        zone = ZoneInfo(DEFAULT_TIME_ZONE)
    return datetime.now(zone).date()
