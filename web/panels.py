"""The dashboard's panels: each app registers the part of the dashboard it owns.

The dashboard asks this registry instead of importing apps, the way the admin asks `admin.py`
modules: an app registers its panel in `AppConfig.ready()`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

# build(nexudus, today, **options) -> the panel's template context. `nexudus` is the request's
# client (or a preview's sample client): panels fetch what they show through it and handle its
# failures. `options` are passed through from the dashboard (a preview's sample links); a panel
# takes the ones it knows.
PanelBuilder = Callable[..., Mapping[str, Any]]


@dataclass(frozen=True, slots=True)
class Panel:
    name: str
    template: str
    build: PanelBuilder
    order: int = 100


@dataclass(frozen=True, slots=True)
class BuiltPanel:
    template: str
    context: Mapping[str, Any]


_PANELS: dict[str, Panel] = {}


def register(panel: Panel) -> None:
    _PANELS[panel.name] = panel


def build_all(nexudus: Any, today: date, **options: Any) -> list[BuiltPanel]:
    panels = sorted(_PANELS.values(), key=lambda panel: (panel.order, panel.name))
    return [BuiltPanel(panel.template, panel.build(nexudus, today, **options)) for panel in panels]
