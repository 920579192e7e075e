"""Answers every sandbox endpoint shares: JSON the way Nexudus sends it, the empty 401, the JSON
404, the sandbox's own small HTML pages, and `Halt`, which lets a check deep inside a handler
answer at once."""

from __future__ import annotations

import html
import json
from datetime import datetime
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
    text = json.dumps(body, ensure_ascii=False, default=json_default)
    return Response(text, status=status, content_type=JSON_TYPE)


def nexudus_datetime(value: datetime | None) -> str | None:
    """Location wall-clock time with a literal "Z", as Nexudus serialises it (not real UTC)."""
    return value.strftime("%Y-%m-%dT%H:%M:%SZ") if value else None


def unauthorized() -> Response:
    # Nexudus answers an empty 401; clients must not depend on a body.
    return Response(b"", status=401, headers={"WWW-Authenticate": "Bearer"})


def not_found() -> Response:
    return json_response({"Message": "The requested resource was not found."}, 404)


def json_default(value: Any) -> Any:
    """`json.dumps(default=...)` for what Nexudus sends as numbers."""
    if isinstance(value, Decimal):
        # JSON numbers, as Nexudus sends them; whole quantities and rates stay integers.
        return int(value) if value.as_tuple().exponent == 0 else float(value)
    raise TypeError(f"not JSON serialisable: {type(value).__name__}")


def html_page(title: str, body_html: str, status: int = 200) -> Response:
    """A plain page of the sandbox's own (not Nexudus JSON). `title` is escaped here;
    `body_html` is markup, so whoever builds it escapes what goes in."""
    page = _PAGE.format(title=html.escape(title), body=body_html)
    return Response(page, status=status, content_type="text/html; charset=utf-8")


_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>{title} (sandbox)</title>
<meta name="viewport" content="width=device-width, initial-scale=1"></head>
<body style="font-family: system-ui, sans-serif; max-width: 36rem; margin: 3rem auto;
padding: 0 1rem">
<main>
{body}
</main>
</body></html>
"""
