"""Answers every sandbox endpoint shares: JSON the way Nexudus sends it, the empty 401, the JSON
404, and `Halt`, which lets a check deep inside a handler answer at once."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

from werkzeug.wrappers import Response

from sandbox.shape import apply_shape, parse_shape

JSON_TYPE = "application/json; charset=utf-8"


class Halt(Exception):
    """Stop handling and answer with this response (e.g. 401 from the bearer check)."""

    def __init__(self, response: Response) -> None:
        super().__init__(response.status)
        self.response = response


def json_response(body: Any, status: int = 200, shape: str | None = None) -> Response:
    """`body` as JSON; `shape` is a `_shape` query value (see `sandbox.shape`)."""
    if shape:
        body = apply_shape(body, parse_shape(shape))
    text = json.dumps(body, ensure_ascii=False, default=_json_default)
    return Response(text, status=status, content_type=JSON_TYPE)


def unauthorized() -> Response:
    # Nexudus answers an empty 401; clients must not depend on a body.
    return Response(b"", status=401, headers={"WWW-Authenticate": "Bearer"})


def not_found() -> Response:
    return json_response({"Message": "The requested resource was not found."}, 404)


def _json_default(value: Any) -> Any:
    if isinstance(value, Decimal):
        # JSON numbers, as Nexudus sends them; whole quantities and rates stay integers.
        return int(value) if value.as_tuple().exponent == 0 else float(value)
    raise TypeError(f"not JSON serialisable: {type(value).__name__}")
