"""The space's own colour, used only where it keeps text readable (WCAG 2.2 AA, 4.5:1).

The portal's buttons put white text on the primary colour, and its links put the primary colour
on white; a location colour that fails either contrast is not used, and the portal's own blue
stays. Dark mode keeps the portal's palette, which was chosen for it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

AA = 4.5
WHITE = (255, 255, 255)
# The lightest surfaces a link sits on in the light scheme (portal.css --surface and --bg).
SURFACES = (WHITE, (0xF6, 0xF6, 0xF3))
_HEX = re.compile(r"#?([0-9a-fA-F]{6}|[0-9a-fA-F]{3})")


def parse_hex(value: str | None) -> tuple[int, int, int] | None:
    match = _HEX.fullmatch((value or "").strip())
    if not match:
        return None
    digits = match.group(1)
    if len(digits) == 3:
        digits = "".join(c * 2 for c in digits)
    red, green, blue = (int(digits[i : i + 2], 16) for i in (0, 2, 4))
    return red, green, blue


def _luminance(rgb: tuple[int, int, int]) -> float:
    def channel(value: int) -> float:
        c = value / 255
        return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4

    red, green, blue = (channel(v) for v in rgb)
    return 0.2126 * red + 0.7152 * green + 0.0722 * blue


def contrast(first: tuple[int, int, int], second: tuple[int, int, int]) -> float:
    lighter, darker = sorted((_luminance(first), _luminance(second)), reverse=True)
    return (lighter + 0.05) / (darker + 0.05)


@dataclass(frozen=True, slots=True)
class Brand:
    primary: str  # "#1f5f8b", lower case, six digits

    @property
    def version(self) -> str:
        """Changes when the colour does, so browsers fetch the new stylesheet."""
        return self.primary.lstrip("#")


def brand_for(primary: str | None) -> Brand | None:
    """The brand to use, or None when the colour is missing or not readable enough."""
    rgb = parse_hex(primary)
    if rgb is None:
        return None
    if any(contrast(rgb, surface) < AA for surface in SURFACES):
        return None
    return Brand("#{:02x}{:02x}{:02x}".format(*rgb))


def brand_css(brand: Brand) -> str:
    return (
        "@media (prefers-color-scheme: light) {\n"
        f"  :root {{ --primary: {brand.primary}; --focus: {brand.primary}; }}\n"
        "}\n"
    )
