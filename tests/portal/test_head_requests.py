"""HEAD is answered wherever GET is (RFC 9110 §9.3.2): monitors, link checkers and proxies send
it, and a 405 there reads as "this page is broken"."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver
from django.urls.resolvers import RoutePattern

pytestmark = pytest.mark.django_db

_CONVERTER = re.compile(r"<(?:(?P<kind>\w+):)?(?P<name>\w+)>")
_SAMPLES = {"int": "30001", "str": "sample", "slug": "sample", "path": "sample"}


def _routes(patterns: list[object], prefix: str = "") -> Iterator[str]:
    """Every route of ours, as a path with sample values; Django's admin is its own (it
    answers HEAD through its class-based views), its sign-in is ours and is checked below."""
    for entry in patterns:
        if not isinstance(entry.pattern, RoutePattern):  # type: ignore[attr-defined]
            continue  # regex routes: only the admin's
        route = prefix + str(entry.pattern)  # type: ignore[attr-defined]
        if isinstance(entry, URLResolver):
            if entry.namespace != "admin":
                yield from _routes(entry.url_patterns, route)
        elif isinstance(entry, URLPattern):
            yield "/" + _CONVERTER.sub(lambda m: _SAMPLES[m["kind"] or "str"], route)


ROUTES = sorted({*_routes(get_resolver().url_patterns), "/admin/login/"})


@pytest.fixture
def staff() -> Client:
    browser = Client()
    browser.force_login(
        get_user_model().objects.create_user("pat", password="pw-for-tests", is_staff=True)
    )
    return browser


def test_the_walk_finds_the_routes_of_every_app() -> None:
    for path in ["/", "/login/", "/invoices/", "/invoices/30001/pdf/", "/healthz", "/robots.txt"]:
        assert path in ROUTES
    assert any(path.startswith("/checkout/complete/") for path in ROUTES)
    assert any(path.startswith("/preview/") for path in ROUTES)


@pytest.mark.parametrize("who", ["anonymous", "member", "staff"])
def test_head_is_answered_wherever_get_is(request, sandbox, who) -> None:
    browser = {
        "anonymous": lambda: Client(),
        "member": lambda: request.getfixturevalue("signed_in_member"),
        "staff": lambda: request.getfixturevalue("staff"),
    }[who]()
    refused = []
    for path in ROUTES:
        get = browser.get(path)
        if get.status_code == 405:
            continue  # POST only (sign-out)
        head = browser.head(path)
        # Django's admin sign-in sends signed-in staff on for GET only; HEAD gets the form.
        same = head.status_code == get.status_code or path == "/admin/login/"
        if head.status_code == 405 or not same:
            refused.append(f"{path}: GET {get.status_code}, HEAD {head.status_code}")
        assert head.content == b""
    assert refused == []
