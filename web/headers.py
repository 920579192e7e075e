"""Response headers shared by several apps."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps

from django.http import HttpRequest, HttpResponse
from django.utils.cache import add_never_cache_headers, patch_cache_control


def keep_private(response: HttpResponse) -> HttpResponse:
    """No browser or proxy may keep this answer after the member or staff member leaves."""
    add_never_cache_headers(response)
    patch_cache_control(response, private=True)
    return response


def secret_page(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Headers for an answer whose URL or body carries a secret, on every answer it gives.

    A guest's gateway session id in the checkout URL, a media token in a PDF redirect, staff
    previews: never cached, never passed on as a referrer, never indexed.
    """

    @wraps(view)
    def wrapped(request: HttpRequest, *args: object, **kwargs: object) -> HttpResponse:
        response = keep_private(view(request, *args, **kwargs))
        response["Referrer-Policy"] = "no-referrer"
        response["X-Robots-Tag"] = "noindex, nofollow"
        # A secret in the body next to text an attacker can choose is what BREACH reads
        # through compression: these answers are sent as they are.
        never_compress(response)
        return response

    return wrapped


def never_compress(response: HttpResponse) -> HttpResponse:
    """Mark an answer that web.compression must send uncompressed."""
    response.portal_never_compress = True  # type: ignore[attr-defined]
    return response
