"""Money, days and "today": in the reader's language, with the location's currency and time zone."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
import time_machine
from django.utils import translation

from web import formatting
from web.formatting import (
    babel_locale,
    format_count,
    format_day,
    format_money,
    format_percent,
    location_today,
    writing_culture,
)

NBSP = "\xa0"
NNBSP = "\u202f"  # French groups digits with a narrow no-break space
MINUS = "\u2212"


@pytest.fixture(autouse=True)
def english() -> None:
    # Every test reads in English unless it says otherwise, as a visitor with no choice would.
    with translation.override("en"):
        yield


# --- Cultures -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("culture", "expected"),
    [("en-GB", "en_GB"), ("pt-PT", "pt_PT"), ("en-US", "en_US"), ("de_DE", "de_DE")],
)
def test_it_turns_a_nexudus_culture_into_a_babel_locale(culture, expected) -> None:
    assert str(babel_locale(culture)) == expected


@pytest.mark.parametrize("culture", ["xx-YY", "not a culture!", "", None])
def test_it_falls_back_to_british_english_for_an_unknown_culture(culture) -> None:
    assert str(babel_locale(culture)) == "en_GB"


# --- Money --------------------------------------------------------------------------------------


def test_it_writes_pounds_the_british_way() -> None:
    assert format_money(Decimal("1234.5"), "GBP", "en-GB") == "£1,234.50"


def test_it_writes_euros_the_portuguese_way_for_a_portuguese_reader() -> None:
    with translation.override("pt"):
        assert format_money(Decimal("1234.5"), "EUR", "pt-PT") == f"1{NBSP}234,50{NBSP}€"


def test_it_writes_negative_amounts_with_a_minus_sign() -> None:
    # A true minus sign (U+2212), never a hyphen: it reads as one and lines up with digits.
    assert format_money(Decimal("-1234.5"), "GBP", "en-GB") == f"{MINUS}£1,234.50"
    with translation.override("pt"):
        assert format_money(Decimal("-0.5"), "EUR", "pt-PT") == f"{MINUS}0,50{NBSP}€"


@pytest.mark.parametrize("language", ["en", "fr", "de", "it", "pt", "es"])
def test_it_writes_a_minus_sign_in_every_language(language) -> None:
    with translation.override(language):
        text = format_money(Decimal("-1234.5"), "EUR", "en-GB")
    assert text.count(MINUS) == 1
    assert "-" not in text


def test_it_writes_yen_without_decimals() -> None:
    assert format_money(Decimal("1234"), "JPY", "en-GB") == "JP¥1,234"
    with translation.override("en"):
        # A Japanese location read in English: English digits, the location's yen.
        assert format_money(Decimal("1234"), "JPY", "ja-JP") == "JP¥1,234"


def test_it_writes_a_plain_number_without_a_currency() -> None:
    assert format_money(Decimal("1234.5"), None, "en-GB") == "1,234.50"
    with translation.override("pt"):
        assert format_money(Decimal("1234.5"), "", "pt-PT") == f"1{NBSP}234,50"


def test_it_writes_an_unknown_currency_code_after_the_amount() -> None:
    assert format_money(Decimal("1234.5"), "XYZ", "en-GB") == "1,234.50 XYZ"


def test_it_writes_money_the_british_way_for_an_unknown_culture() -> None:
    assert format_money(Decimal("1234.5"), "GBP", "xx-YY") == "£1,234.50"
    assert format_money(Decimal("1234.5"), "GBP", None) == "£1,234.50"


# --- Days ---------------------------------------------------------------------------------------


def test_it_writes_a_day_the_british_way() -> None:
    assert format_day(date(2026, 10, 1), "en-GB") == "1 Oct 2026"


def test_it_writes_a_day_the_portuguese_way_for_a_portuguese_reader() -> None:
    with translation.override("pt"):
        assert format_day(date(2026, 10, 1), "pt-PT") == "1/10/2026"


def test_it_writes_only_the_day_of_a_datetime() -> None:
    assert format_day(datetime(2026, 10, 1, 23, 59, 59), "en-GB") == "1 Oct 2026"


def test_it_writes_a_day_the_british_way_for_an_unknown_culture() -> None:
    assert format_day(date(2026, 10, 1), "xx-YY") == "1 Oct 2026"


def test_it_writes_nothing_for_no_day() -> None:
    assert format_day(None, "en-GB") == ""


# --- Formats follow the reader's language -------------------------------------------------------


@pytest.mark.parametrize(
    ("language", "money", "day"),
    [
        ("en", "€1,234.50", "3 Mar 2026"),
        ("fr", f"1{NNBSP}234,50{NBSP}€", "3 mars 2026"),
        ("de", f"1.234,50{NBSP}€", "3. März 2026"),
        ("it", f"1.234,50{NBSP}€", "3 mar 2026"),
        ("pt", f"1{NBSP}234,50{NBSP}€", "3/03/2026"),
        ("es", f"1.234,50{NBSP}€", "3 mar 2026"),
    ],
)
def test_dates_and_numbers_follow_the_language_of_the_page(language, money, day) -> None:
    # A London location (en-GB) billing in euros, read in each language.
    with translation.override(language):
        assert format_money(Decimal("1234.50"), "EUR", "en-GB") == money
        assert format_day(date(2026, 3, 3), "en-GB") == day


def test_the_currency_stays_the_locations_whatever_the_language() -> None:
    with translation.override("fr"):
        assert format_money(Decimal("1234.5"), "GBP", "en-GB") == f"1{NNBSP}234,50{NBSP}£GB"
    with translation.override("de"):
        assert format_money(Decimal("1234.5"), "GBP", "en-GB") == f"1.234,50{NBSP}£"


def test_a_location_that_speaks_the_language_lends_it_its_territory() -> None:
    # German at a Zurich location is Swiss German; at a London location it is Germany's.
    with translation.override("de"):
        assert writing_culture("de-CH") == "de_CH"
        assert format_money(Decimal("1234.5"), "CHF", "de-CH") == f"CHF{NBSP}1\u2019234.50"
        assert writing_culture("en-GB") == "de_DE"
    with translation.override("pt"):
        assert writing_culture("pt-BR") == "pt_BR"
        assert writing_culture("fr-FR") == "pt_PT"
    with translation.override("en"):
        assert writing_culture("en-US") == "en_US"
        assert writing_culture("pt-PT") == "en_GB"


@pytest.mark.parametrize(
    ("language", "culture"),
    [("fr", "fr_FR"), ("de", "de_DE"), ("it", "it_IT"), ("pt", "pt_PT"), ("es", "es_ES")],
)
def test_each_language_has_a_home_territory(language, culture) -> None:
    with translation.override(language):
        assert writing_culture(None) == culture
        assert writing_culture("xx-YY") == culture


def test_counts_and_percentages_follow_the_language() -> None:
    with translation.override("fr"):
        assert format_count(2000, "en-GB") == f"2{NNBSP}000"
        assert format_percent(Decimal("5.5"), "en-GB") == f"5,5{NBSP}%"
    with translation.override("de"):
        assert format_count(2000, "en-GB") == "2.000"


def test_without_an_active_language_the_location_writes_its_own_way() -> None:
    translation.deactivate_all()
    try:
        assert format_money(Decimal("1234.5"), "EUR", "pt-PT") == f"1{NBSP}234,50{NBSP}€"
    finally:
        translation.activate("en")


def test_formatters_are_built_once_per_locale_and_currency() -> None:
    with translation.override("de"):
        format_money(Decimal("1"), "EUR", "en-GB")
        before = formatting._money_formatter.cache_info()
        for _ in range(50):
            format_money(Decimal("1234.5"), "EUR", "en-GB")
            format_day(date(2026, 3, 3), "en-GB")
        after = formatting._money_formatter.cache_info()
    assert after.misses == before.misses
    assert after.hits >= before.hits + 50


# --- Today at the location ----------------------------------------------------------------------


def test_it_is_already_tomorrow_in_tokyo_while_still_today_in_london() -> None:
    with time_machine.travel(datetime(2026, 3, 10, 23, 30, tzinfo=UTC), tick=False):
        assert location_today("Asia/Tokyo") == date(2026, 3, 11)
        assert location_today("Europe/London") == date(2026, 3, 10)


def test_it_is_still_yesterday_in_new_york_just_after_midnight_in_london() -> None:
    with time_machine.travel(datetime(2026, 3, 11, 0, 30, tzinfo=UTC), tick=False):
        assert location_today("America/New_York") == date(2026, 3, 10)
        assert location_today("Europe/London") == date(2026, 3, 11)


@pytest.mark.parametrize("time_zone", ["Nowhere/Special", "../../etc/passwd", "", None])
def test_it_judges_today_by_london_for_an_unknown_time_zone(time_zone) -> None:
    # 23:30 UTC in summer is already tomorrow in London (BST), so this tells London from UTC.
    with time_machine.travel(datetime(2026, 7, 1, 23, 30, tzinfo=UTC), tick=False):
        assert location_today(time_zone) == date(2026, 7, 2)


# --- the fast money path writes exactly what Babel writes (issue 15) ---------------------------

from babel import Locale  # noqa: E402
from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from web.formatting import _fast_currency_formatter  # noqa: E402

LOCALES = [
    "en_GB",
    "en_US",
    "en_IE",
    "fr_FR",
    "fr_CH",
    "fr_CA",
    "de_DE",
    "de_CH",
    "de_AT",
    "it_IT",
    "it_CH",
    "pt_PT",
    "pt_BR",
    "es_ES",
    "es_MX",
    "nl_NL",
    "sv_SE",
    "da_DK",
    "nb_NO",
    "fi_FI",
    "pl_PL",
    "cs_CZ",
    "hu_HU",
    "ro_RO",
    "el_GR",
    "tr_TR",
    "ru_RU",
    "ja_JP",
    "zh_CN",
    "ko_KR",
    "he_IL",
    "ar_EG",
    "th_TH",
    "id_ID",
    "en_ZA",
    "en_AU",
    "ca_ES",
    "en_IN",
]
CURRENCIES = ("GBP", "EUR", "USD", "CHF", "JPY", "BRL", "INR", "KWD", "SEK", "XAF")


@settings(max_examples=400, deadline=None)
@given(
    locale_name=st.sampled_from(LOCALES),
    currency=st.sampled_from(CURRENCIES),
    amount=st.decimals(
        min_value=Decimal("-1e12"), max_value=Decimal("1e12"), places=4, allow_nan=False
    ),
)
def test_the_fast_money_path_writes_what_babel_writes(locale_name, currency, amount) -> None:
    locale = Locale.parse(locale_name)
    pattern = locale.currency_formats["standard"]
    fast = _fast_currency_formatter(pattern, locale, currency)
    if fast is None:
        return  # an unusual shape (Indian grouping): Babel formats it
    assert fast(amount) == pattern.apply(amount, locale, currency=currency)


def test_the_fast_path_covers_the_usual_locales_and_leaves_indian_grouping_to_babel() -> None:
    def covered(name: str) -> bool:
        locale = Locale.parse(name)
        pattern = locale.currency_formats["standard"]
        return _fast_currency_formatter(pattern, locale, "EUR") is not None

    assert all(covered(name) for name in ("en_GB", "fr_FR", "de_DE", "it_IT", "pt_PT", "es_ES"))
    assert not covered("en_IN")


# --- a moment, for "as of" notices -------------------------------------------------------------


@pytest.mark.parametrize(
    ("language", "earlier_day"),
    [("en", "30 Nov 2026, 18:30"), ("de", "30. Nov. 2026, 18:30"), ("fr", "30 nov. 2026, 18:30")],
)
def test_a_moment_is_a_time_today_and_a_day_and_time_before(language, earlier_day) -> None:
    format_moment = formatting.format_moment
    with (
        time_machine.travel(datetime(2026, 12, 1, 14, 30, tzinfo=UTC), tick=False),
        translation.override(language),
    ):
        today = datetime(2026, 12, 1, 14, 5, tzinfo=UTC)
        assert format_moment(today, "en-GB", "Europe/London") == "14:05"
        earlier = datetime(2026, 11, 30, 18, 30, tzinfo=UTC)
        assert format_moment(earlier, "en-GB", "Europe/London") == earlier_day
        # The location's clock decides: 23:30 UTC on 30 Nov is 01:30 on 1 Dec in Helsinki.
        late = datetime(2026, 11, 30, 23, 30, tzinfo=UTC)
        assert format_moment(late, "en-GB", "Europe/Helsinki") == "01:30"
