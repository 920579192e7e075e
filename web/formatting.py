"""Dates, counts and money in the location's language, with Babel (never hand-written formats).

Every amount a member sees, on every page, goes through `format_money`: one format per
currency per page, whatever the issuing location formatted upstream. Formatters are built once
per culture and currency and kept, since a page formats hundreds of values.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from datetime import date, datetime
from decimal import ROUND_HALF_EVEN, Decimal
from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from babel import Locale, UnknownLocaleError
from babel.numbers import get_currency_precision, is_currency, parse_pattern

DEFAULT_CULTURE = "en-GB"
DEFAULT_TIME_ZONE = "Europe/London"
# A true minus sign reads as one and lines up with the digits; a hyphen does neither.
MINUS = "\u2212"


@lru_cache(maxsize=64)
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
    """`amount` in `currency_code`, written the way `culture` writes money."""
    try:
        text = _money_formatter(currency_code or "", culture)(amount)
    except (ArithmeticError, ValueError):
        # An amount Babel cannot format must not break the page: show it plainly.
        text = f"{amount} {currency_code or ''}".strip()
    return text.replace("-", MINUS)


@lru_cache(maxsize=256)
def _money_formatter(currency_code: str, culture: str | None) -> Callable[[Decimal], str]:
    locale = babel_locale(culture)
    if not currency_code:
        return lambda amount: _plain(amount, locale)
    if not is_currency(currency_code, locale):
        # Babel would glue an unknown code to the number as if it were a symbol ("XYZ1,234.50").
        return lambda amount: f"{_plain(amount, locale)} {currency_code}"
    pattern = locale.currency_formats["standard"]
    return lambda amount: pattern.apply(amount, locale, currency=currency_code)


def _plain(amount: Decimal, locale: Locale) -> str:
    return _PLAIN_PATTERN.apply(amount, locale)


def format_decimal_plain(amount: Decimal, locale: Locale) -> str:
    return _plain(amount, locale).replace("-", MINUS)


def format_count(number: int, culture: str | None) -> str:
    """A count with the culture's grouping: "2,000" (en-GB), "2 000" (fr)."""
    return _COUNT_PATTERN.apply(number, babel_locale(culture))


def format_day(value: date | datetime | None, culture: str | None) -> str:
    """A day as the location writes it, e.g. "1 Oct 2026" (en-GB) or "01/10/2026" (pt-PT)."""
    if value is None:
        return ""
    day = value.date() if isinstance(value, datetime) else value
    return _day_formatter(culture)(day)


@lru_cache(maxsize=64)
def _day_formatter(culture: str | None) -> Callable[[date], str]:
    locale = babel_locale(culture)
    pattern = locale.date_formats["medium"]
    return lambda day: pattern.apply(day, locale)


def location_today(time_zone: str | None) -> date:
    """Today at the location. Nexudus dates are the location's wall-clock dates, so "overdue"
    must be judged against the location's calendar, not the server's."""
    try:
        zone = ZoneInfo(time_zone or DEFAULT_TIME_ZONE)
    except (ZoneInfoNotFoundError, ValueError):
        zone = ZoneInfo(DEFAULT_TIME_ZONE)
    return datetime.now(zone).date()


_PLAIN_PATTERN = parse_pattern("#,##0.00")
_COUNT_PATTERN = parse_pattern("#,##0")
_QUANTITY_PATTERN = parse_pattern("#,##0.###")


def format_percent(rate: Decimal, culture: str | None) -> str:
    """A tax rate given in percent (20 means 20 %), written the culture's way: "20%"."""
    return _percent_formatter(culture)(rate / 100)


@lru_cache(maxsize=64)
def _percent_formatter(culture: str | None) -> Callable[[Decimal], str]:
    locale = babel_locale(culture)
    # The culture's own percent pattern ("20 %" in French), with up to two decimals (5.5 %).
    pattern = copy.copy(locale.percent_formats[None])
    pattern.frac_prec = (0, 2)
    return lambda fraction: pattern.apply(fraction, locale)


def format_quantity(quantity: Decimal, culture: str | None) -> str:
    """A quantity without trailing zeros: "3", "1.5", "1,250"."""
    return _QUANTITY_PATTERN.apply(quantity, babel_locale(culture)).replace("-", MINUS)


def format_amount_plain(amount: Decimal, currency_code: str | None) -> str:
    """Money for machines (a CSV export): "-1234.50", the currency's own number of decimals,
    a full stop, an ASCII minus and no grouping, rounded the way `format_money` rounds."""
    digits = get_currency_precision(currency_code) if currency_code else 2
    quantum = Decimal(1).scaleb(-digits)
    try:
        value = amount.quantize(quantum, rounding=ROUND_HALF_EVEN)
    except ArithmeticError:
        value = amount
    return f"{value:f}".removeprefix("-") if value.is_zero() else f"{value:f}"
