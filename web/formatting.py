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
from decimal import ROUND_HALF_EVEN, Decimal
from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from babel import Locale, UnknownLocaleError
from babel.dates import match_skeleton
from babel.numbers import (
    NumberPattern,
    get_currency_precision,
    get_currency_symbol,
    get_decimal_symbol,
    get_group_symbol,
    is_currency,
    parse_pattern,
)
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
    fast = _fast_currency_formatter(pattern, locale, currency_code)
    if fast is not None:
        return fast
    return lambda amount: pattern.apply(amount, locale, currency=currency_code)


def _fast_currency_formatter(
    pattern: NumberPattern, locale: Locale, currency_code: str
) -> Callable[[Decimal], str] | None:
    """Babel's currency formatting, precomputed, for the patterns nearly every locale uses.

    `NumberPattern.apply` re-reads the locale's symbols and re-parses its pieces on every call,
    which made money the dearest part of a row. For the common shape (groups of three, no
    scaling, no significant digits, the symbol as "¤") everything but the digits is fixed per
    locale and currency, so it is worked out once here; the digits are Python's own grouping
    with the locale's symbols swapped in. The result is the same text, character for
    character: tests/web/test_formatting.py compares the two over many locales, currencies and
    amounts. Any other shape returns None and Babel formats it.
    """
    pieces = (*pattern.prefix, *pattern.suffix)
    if (
        pattern.grouping != (3, 3)
        or pattern.exp_prec
        or pattern.scale
        or "@" in pattern.pattern
        or pattern.int_prec[0] != 1
        or any("¤¤" in piece or "'" in piece for piece in pieces)
    ):
        return None
    digits = get_currency_precision(currency_code)
    quantum = Decimal(1).scaleb(-digits)
    symbol = get_currency_symbol(currency_code, locale)
    prefix = tuple(piece.replace("¤", symbol) for piece in pattern.prefix)
    suffix = tuple(piece.replace("¤", symbol) for piece in pattern.suffix)
    symbols = str.maketrans(
        {
            ",": get_group_symbol(locale, numbering_system="latn"),
            ".": get_decimal_symbol(locale, numbering_system="latn"),
        }
    )

    def format_amount(amount: Decimal) -> str:
        negative = int(amount.is_signed())
        number = f"{abs(amount).quantize(quantum):,f}".translate(symbols)
        return f"{prefix[negative]}{number}{suffix[negative]}"

    return format_amount


def _plain(amount: Decimal, locale: Locale) -> str:
    return _PLAIN_PATTERN.apply(amount, locale)


def format_decimal_plain(amount: Decimal, locale: Locale) -> str:
    return _plain(amount, locale).replace("-", MINUS)


def format_count(number: int, culture: str | None) -> str:
    """A count with the reader's grouping: "2,000" (en), "2 000" (fr), "2.000" (de)."""
    return _written_count(number, writing_culture(culture))


@lru_cache(maxsize=4096)
def _written_count(number: int, culture: str) -> str:
    # Counts repeat (pages, rows, invoices) and Babel's pattern walk is slow: each is kept.
    return _COUNT_PATTERN.apply(number, babel_locale(culture))


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

    # Days are few (invoices fall on the same month-ends for every member) and Babel's pattern
    # walk is slow: each written day is kept, per locale.
    @lru_cache(maxsize=4096)
    def format_one(day: date) -> str:
        return pattern.apply(day, locale)

    return format_one


def format_moment(moment: datetime, culture: str | None, time_zone: str | None) -> str:
    """A moment as the location's clock shows it, in the reader's language: "14:05" today,
    "30 Nov 2026, 18:30" before."""
    zone = location_zone(time_zone)
    local = moment.astimezone(zone)
    writing = writing_culture(culture)
    locale = babel_locale(writing)
    time_text = locale.time_formats["short"].apply(local, locale)
    if local.date() == datetime.now(zone).date():
        return time_text
    day_text = _day_formatter(writing)(local.date())
    # The locale's own way of joining a day and a time ("{1}, {0}"), as Babel joins them.
    joined = locale.datetime_formats["medium"].replace("'", "")
    return joined.replace("{0}", time_text).replace("{1}", day_text)


def location_zone(time_zone: str | None) -> ZoneInfo:
    try:
        return ZoneInfo(time_zone or DEFAULT_TIME_ZONE)
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo(DEFAULT_TIME_ZONE)


def location_today(time_zone: str | None) -> date:
    """Today at the location. Nexudus dates are the location's wall-clock dates, so "overdue"
    must be judged against the location's calendar, not the server's."""
    return datetime.now(location_zone(time_zone)).date()


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
