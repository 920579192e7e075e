"""A page is a template and its context: built by a page function, rendered by a view.

Views and staff previews call the same page functions, so a preview shows exactly what the
member would get. A page function never touches the request's session or writes anything.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render


@dataclass(frozen=True, slots=True)
class Page:
    template: str
    context: Mapping[str, Any] = field(default_factory=dict)
    status: int = 200
    # The address this page really shows, when it is not the one asked for (a page number
    # past the end answers with the last page): full pages redirect there, fragments say so.
    url: str | None = None


def render_page(request: HttpRequest, page: Page) -> HttpResponse:
    return render(request, page.template, dict(page.context), status=page.status)


class HttpResponseSeeOther(HttpResponseRedirect):
    """303: after a successful POST, the browser GETs the next page (Post/Redirect/Get), so a
    reload never posts the form again."""

    status_code = 303


def see_other(url: str) -> HttpResponseSeeOther:
    return HttpResponseSeeOther(url)
