"""The money and day template tags, rendered the way the pages render them."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from django.template import Context, Template
from django.utils import translation

from members.session import Location

NBSP = "\xa0"


def _location(culture: str | None) -> Location:
    return Location(
        name="The Space",
        language_culture=culture or "",
        currency_code="GBP",
        time_zone="Europe/London",
    )


def _render(source: str, culture: str | None = "en-GB", **context) -> str:
    template = Template("{% load web_tags %}" + source)
    return template.render(Context({"location": _location(culture), **context}))


# --- money and day ------------------------------------------------------------------------------


def test_it_writes_money_the_british_way_for_an_en_gb_location() -> None:
    rendered = _render("{% money amount code %}", amount=Decimal("1234.5"), code="GBP")
    assert rendered == "£1,234.50"


def test_it_writes_money_the_portuguese_way_for_a_pt_pt_location_read_in_portuguese() -> None:
    with translation.override("pt"):
        rendered = _render("{% money amount code %}", "pt-PT", amount=Decimal("1234.5"), code="EUR")
    assert rendered == f"1{NBSP}234,50{NBSP}€"


def test_it_writes_money_the_english_way_for_a_pt_pt_location_read_in_english() -> None:
    with translation.override("en"):
        rendered = _render("{% money amount code %}", "pt-PT", amount=Decimal("1234.5"), code="EUR")
    assert rendered == "€1,234.50"


def test_it_writes_nothing_for_no_amount() -> None:
    assert _render("[{% money amount code %}]", amount=None, code="GBP") == "[]"


def test_it_writes_money_the_default_way_without_a_location() -> None:
    template = Template("{% load web_tags %}{% money amount code %}")
    rendered = template.render(Context({"amount": Decimal("1234.5"), "code": "GBP"}))
    assert rendered == "£1,234.50"


def test_it_writes_a_day_the_way_each_language_writes_it() -> None:
    value = datetime(2026, 10, 1, 23, 59)
    with translation.override("en"):
        assert _render("{% day value %}", "en-GB", value=value) == "1 Oct 2026"
        assert _render("[{% day value %}]", "en-GB", value=None) == "[]"
    with translation.override("pt"):
        assert _render("{% day value %}", "pt-PT", value=value) == "1/10/2026"
    with translation.override("de"):
        assert _render("{% day value %}", "en-GB", value=value) == "1. Okt. 2026"


def test_it_escapes_markup_in_a_currency_code() -> None:
    rendered = _render("{% money amount code %}", amount=Decimal("1"), code="<b>")
    assert "<b>" not in rendered
    assert "&lt;b&gt;" in rendered
