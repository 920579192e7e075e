from __future__ import annotations

from typing import Any

from sandbox.shape import apply_shape, parse_shape

PAGE: dict[str, Any] = {
    "Records": [
        {"Id": 1, "InvoiceNumber": "A", "Currency": {"Code": "GBP", "Name": "Pound"}, "X": 1},
        {"Id": 2, "InvoiceNumber": "B", "Currency": {"Code": "EUR", "Name": "Euro"}, "X": 2},
    ],
    "TotalItems": 2,
    "HasNextPage": False,
    "PaidOn": None,
}


def test_it_returns_the_object_unchanged_without_paths() -> None:
    assert apply_shape(PAGE, []) is PAGE
    assert parse_shape(None) == []
    assert parse_shape("") == []


def test_it_keeps_only_named_top_level_fields() -> None:
    assert apply_shape(PAGE, ["TotalItems", "HasNextPage"]) == {
        "TotalItems": 2,
        "HasNextPage": False,
    }


def test_it_applies_a_path_into_a_list_to_every_element() -> None:
    shaped = apply_shape(PAGE, ["Records.Id", "Records.Currency.Code", "TotalItems"])
    assert shaped == {
        "Records": [{"Id": 1, "Currency": {"Code": "GBP"}}, {"Id": 2, "Currency": {"Code": "EUR"}}],
        "TotalItems": 2,
    }


def test_it_ignores_unknown_paths() -> None:
    assert apply_shape(PAGE, ["Nope", "Records.Nope", "TotalItems.Deeper"]) == {"Records": [{}, {}]}


def test_it_keeps_a_whole_object_when_it_and_one_of_its_fields_are_named() -> None:
    for paths in (
        ["Records.Currency", "Records.Currency.Code"],
        ["Records.Currency.Code", "Records.Currency"],
    ):
        shaped = apply_shape(PAGE, paths)
        assert shaped["Records"][0]["Currency"] == {"Code": "GBP", "Name": "Pound"}


def test_it_keeps_a_null_when_a_path_goes_through_it() -> None:
    assert apply_shape(PAGE, ["PaidOn.Year"]) == {"PaidOn": None}


def test_it_matches_names_case_sensitively() -> None:
    assert apply_shape(PAGE, ["totalitems"]) == {}


def test_it_parses_comma_separated_paths_with_blanks_and_spaces() -> None:
    assert parse_shape(" Records.Id, ,TotalItems,") == ["Records.Id", "TotalItems"]


def test_it_does_not_change_the_input() -> None:
    apply_shape(PAGE, ["Records.Id"])
    assert PAGE["Records"][0]["X"] == 1
