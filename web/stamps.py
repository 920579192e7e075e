"""Fragments every page repeats, rendered once per look and stamped with each request's values.

The page's header and the language switcher are the same on every page a member sees but for a
few values of the request (its CSRF token, the member's name, the page's own address). Through
the template engine they cost a third of a page's render (issue 15). Here each fragment is
rendered once per look (its key: the language, the location's name, the section...) with
stand-ins where the request's values go, and each view only swaps the stand-ins for its own
values, escaped as the template engine would escape them.

Safe by construction: a fragment renders with a bare context that holds its key and its
stand-ins and nothing else (no request, no context processors), so it cannot show a value its
key does not name, and no member's value is ever stored in it.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Hashable, Mapping
from functools import lru_cache

from django.core.signals import setting_changed
from django.template.loader import get_template
from django.utils.autoreload import file_changed
from django.utils.html import conditional_escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import get_language

# A stand-in is a name between two marks: letters, digits and "_" only, so escaping leaves it as
# it is; the mark is random per process, so no value a member typed can pose as one.
_STAND_IN_MARK = f"stamp{secrets.token_hex(8)}"

# Looks are few (languages by locations by sections by preview states): 512 is room to spare.
_LOOKS_KEPT = 512


def stand_in(name: str) -> str:
    return f"{_STAND_IN_MARK}{name}{_STAND_IN_MARK}"


_STAND_IN = re.compile(rf"{_STAND_IN_MARK}([a-z_]+){_STAND_IN_MARK}")


def stamped(
    template_name: str, look: Mapping[str, Hashable], values: Mapping[str, object]
) -> SafeString:
    """`template_name` as it renders with `look` and `values`, rendered once per look.

    `values` are the request's own (escaped here unless already safe); `look` must name
    everything else the template reads.
    """
    html = _rendered(
        template_name, get_language(), tuple(sorted(look.items())), tuple(sorted(values))
    )
    escaped = {name: conditional_escape(value) for name, value in values.items()}
    # One pass, so a value can never bring in a stand-in that a later swap would fill.
    swapped = _STAND_IN.sub(lambda found: escaped[found.group(1)], html)
    return mark_safe(swapped)  # noqa: S308 - the template's own output, values escaped above


@lru_cache(maxsize=_LOOKS_KEPT)
def _rendered(
    template_name: str,
    language: str | None,  # part of the key: the fragment is rendered in the active language
    look: tuple[tuple[str, Hashable], ...],
    value_names: tuple[str, ...],
) -> str:
    context = dict(look) | {name: stand_in(name) for name in value_names}
    return str(get_template(template_name).render(context))


def forget_rendered(**_signal: object) -> None:
    """Drop every rendered fragment: a template was edited (the development server reloads
    templates without restarting) or a setting they read changed (tests)."""
    _rendered.cache_clear()


def _on_setting_changed(setting: str, **_signal: object) -> None:
    if setting in _SETTINGS_READ:
        forget_rendered()


_SETTINGS_READ = frozenset({"TEMPLATES", "LANGUAGES", "LANGUAGE_CODE", "STATIC_URL", "STORAGES"})
file_changed.connect(forget_rendered, dispatch_uid="web.stamps")
setting_changed.connect(_on_setting_changed, dispatch_uid="web.stamps")
