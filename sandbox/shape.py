"""`_shape`: keep only the named field paths of a JSON response.

Reading chosen (the Nexudus docs say only "comma-separated field paths, dot notation for
nesting", which is UNCERTAIN in the details):

- Paths are relative to the response root, so a list response is shaped with
  `Records.Id,Records.Currency.Code,TotalItems`.
- A path that reaches a list applies to every element of it.
- Names match case-sensitively. The stricter reading makes a mis-cased path fail in tests
  instead of passing here and failing against a stricter upstream.
- Unknown paths are ignored. A path that continues past a scalar is unknown; past a null it
  keeps the null (there is nothing to pick from).
- Naming a whole object and one of its fields (`Currency,Currency.Code`) keeps the whole object.
- No paths (missing or empty `_shape`) means the full object.
"""

from __future__ import annotations

from typing import Any

# A node maps a field name to its sub-selection; _WHOLE means "take the value as it is".
_WHOLE: Any = object()
Tree = dict[str, Any]


def parse_shape(raw: str | None) -> list[str]:
    """Split a `_shape` query value into paths, dropping blanks."""
    if not raw:
        return []
    return [part.strip() for part in raw.split(",") if part.strip()]


def apply_shape(obj: Any, paths: list[str]) -> Any:
    """Return a copy of `obj` with only the fields named by `paths` (see module docstring)."""
    if not paths:
        return obj
    return _pick(obj, _tree(paths))


def _tree(paths: list[str]) -> Tree:
    tree: Tree = {}
    for path in paths:
        node = tree
        names = [name for name in path.split(".") if name]
        for depth, name in enumerate(names):
            if node.get(name) is _WHOLE:
                break  # an ancestor was asked for whole; the longer path adds nothing
            if depth == len(names) - 1:
                node[name] = _WHOLE
            else:
                node = node.setdefault(name, {})
    return tree


def _pick(obj: Any, tree: Tree) -> Any:
    if isinstance(obj, list):
        return [_pick(item, tree) for item in obj]
    if not isinstance(obj, dict):
        return obj
    picked: dict[str, Any] = {}
    for name, sub in tree.items():
        if name not in obj:
            continue
        value = obj[name]
        if sub is _WHOLE or value is None:
            picked[name] = value
        elif isinstance(value, dict | list):
            picked[name] = _pick(value, sub)
        # else: the path continues past a scalar, so it names nothing.
    return picked
