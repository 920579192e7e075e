"""Dates, counts and money in the reader's language, with Babel (never hand-written formats).

Dates and numbers follow the language the page speaks (the active Django language), written the
way the location's territory writes them when the location speaks that language (a Swiss
location's German is de_CH), else the language's home territory (fr -> fr_FR, de -> de_DE).
The currency and the time zone are always the location's. Without an active language (a
management command), the location's own culture writes them.

Every amount a member sees, on every page, goes through `format_money`: one format per
currency per page, whatever the issuing location formatted upstream. Formatters are built once
per locale and currency and kept, since a page formats hundreds of values.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from datetime import date, datetime
from decimal import Decimal
from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from babel import Locale, UnknownLocaleError
from babel.dates import match_skeleton
from babel.numbers import is_currency, parse_pattern
from django.utils.translation import get_language

DEFAULT_CULTURE = "en-GB"
DEFAULT_TIME_ZONE = "Europe/London"
# A true minus sign reads as one and lines up with the digits; a hyphen does neither.
MINUS = "\u2212"
# Where each language of ours is written when the location does not speak it.
HOME_CULTURES = {
    "en": "en-GB",
    "fr": "fr-FR",
    "de": "de-DE",
    "it": "it-IT",
    "pt": "pt-PT",
    "es": "es-ES",
}
# A day with its month in words, the CLDR way for each locale: "3 Mar 2026", "3 mars 2026",
# "3. März 2026". Never all digits where a locale has words: 03/04 is read two ways.
DAY_SKELETON = "yMMMd"


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


class Writing(str):
    """A culture already chosen for the reader's language ("de_DE"): formatters take it as it
    is. A page that formats hundreds of values asks for the language once (`writing_culture`),
    not once per value."""

    __slots__ = ()


def writing_culture(culture: str | None) -> Writing:
    """The culture that writes dates and numbers for the location's `culture`, in the active
    language."""
    if isinstance(culture, Writing):
        return culture
    return _writing_culture(get_language(), culture)


@lru_cache(maxsize=256)
def _writing_culture(language: str | None, culture: str | None) -> Writing:
    location = babel_locale(culture)
    if not language:
        return Writing(location)
    spoken = language.split("-", 1)[0].lower()
    if location.language == spoken:
        return Writing(location)
    return Writing(HOME_CULTURES.get(spoken, DEFAULT_CULTURE).replace("-", "_"))


def _locale(culture: str | None) -> Locale:
    return babel_locale(writing_culture(culture))


def format_money(amount: Decimal, currency_code: str | None, culture: str | None) -> str:
    """`amount` in `currency_code`, written the way the reader's language writes money."""
    try:
        text = _money_formatter(currency_code or "", writing_culture(culture))(amount)
    except (ArithmeticError, ValueError):
        # An amount Babel cannot format must not break the page: show it plainly.
        text = f"{amount} {currency_code or ''}".strip()
    return text.replace("-", MINUS)


@lru_cache(maxsize=256)
def _money_formatter(currency_code: str, culture: str) -> Callable[[Decimal], str]:
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
    """A count with the reader's grouping: "2,000" (en), "2 000" (fr), "2.000" (de)."""
    return _COUNT_PATTERN.apply(number, _locale(culture))


def format_day(value: date | datetime | None, culture: str | None) -> str:
    """A day in the reader's language: "1 Oct 2026" (en), "1 oct. 2026" (fr), "1. Okt. 2026"
    (de)."""
    if value is None:
        return ""
    day = value.date() if isinstance(value, datetime) else value
    return _day_formatter(writing_culture(culture))(day)


@lru_cache(maxsize=64)
def _day_formatter(culture: str) -> Callable[[date], str]:
    locale = babel_locale(culture)
    skeleton = match_skeleton(DAY_SKELETON, locale.datetime_skeletons)
    pattern = locale.datetime_skeletons[skeleton] if skeleton else locale.date_formats["medium"]
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
    """A tax rate given in percent (20 means 20 %), written the reader's way: "20%", "20 %"."""
    return _percent_formatter(writing_culture(culture))(rate / 100)


@lru_cache(maxsize=64)
def _percent_formatter(culture: str) -> Callable[[Decimal], str]:
    locale = babel_locale(culture)
    # The locale's own percent pattern ("20 %" in French), with up to two decimals (5.5 %).
    pattern = copy.copy(locale.percent_formats[None])
    pattern.frac_prec = (0, 2)
    return lambda fraction: pattern.apply(fraction, locale)


def format_quantity(quantity: Decimal, culture: str | None) -> str:
    """A quantity without trailing zeros: "3", "1.5", "1,250"."""
    return _QUANTITY_PATTERN.apply(quantity, _locale(culture)).replace("-", MINUS)
