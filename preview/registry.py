"""The staff preview's registry: every page in every state, declared by the app that owns it.

Each app lists its states in a `previews.py` module (found with `autodiscover_modules`, the way
the admin finds `admin.py`). A state builds its page by calling the very page function the
app's view calls, with a sample Nexudus client instead of the member's: what staff see is what
members get, on sample data, with nothing sent to Nexudus and nothing saved.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from web.pages import Page


@dataclass(frozen=True, slots=True)
class State:
    page: str
    key: str
    label: str
    build: Callable[[], Page]
    # Whose shell the page is shown in (a sample person's short name), or None for a visitor.
    person: str | None = None
    # The address the page lives at, so the shell marks the right navigation link.
    path: str = "/"

    @property
    def title(self) -> str:
        return f"{PAGES[self.page]} — {self.label}"


PAGES: dict[str, str] = {}
STATES: list[State] = []
_ORDER: dict[str, int] = {}


def register_page(key: str, title: str, order: int) -> None:
    """A page of the portal; the index lists pages by `order`."""
    PAGES.setdefault(key, title)
    _ORDER.setdefault(key, order)


def register(state: State) -> None:
    if state.page not in PAGES:
        raise ValueError(f"register_page({state.page!r}, ...) first")
    if find_state(state.page, state.key) is not None:
        raise ValueError(f"{state.page}/{state.key} is registered twice")
    STATES.append(state)


def find_state(page: str, key: str) -> State | None:
    return next((s for s in STATES if s.page == page and s.key == key), None)


def states_by_page() -> list[tuple[str, str, list[State]]]:
    pages = sorted(PAGES.items(), key=lambda item: _ORDER[item[0]])
    return [(key, title, [s for s in STATES if s.page == key]) for key, title in pages]
