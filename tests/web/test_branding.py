"""The space's colour is used only where text stays readable."""

from __future__ import annotations

import pytest

from web.branding import brand_css, brand_for, contrast, parse_hex


def test_it_measures_contrast_the_wcag_way() -> None:
    assert contrast((0, 0, 0), (255, 255, 255)) == pytest.approx(21.0)
    assert contrast((255, 255, 255), (255, 255, 255)) == pytest.approx(1.0)
    assert contrast(parse_hex("#1f5f8b"), (255, 255, 255)) == pytest.approx(6.8, abs=0.1)


@pytest.mark.parametrize("colour", ["#1f5f8b", "#1F5F8B", "1f5f8b", "#000"])
def test_it_uses_a_readable_colour(colour: str) -> None:
    brand = brand_for(colour)
    assert brand is not None
    assert brand.primary.startswith("#") and len(brand.primary) == 7
    assert brand.primary in brand_css(brand)


@pytest.mark.parametrize("colour", ["#ffcc00", "#ff5100", "#aaaaaa", "", None, "red", "#12345"])
def test_it_falls_back_to_the_portals_own_colour_when_a_colour_fails_contrast(colour) -> None:
    assert brand_for(colour) is None
