"""Django's CSRF protection, taught one thing: pages sent with `Referrer-Policy: no-referrer`.

Browsers send `Origin: null` on every form post from such a page, and Django refuses a post
whose Origin does not match. For views marked `@accepts_own_posts_without_origin`, a null Origin
is accepted when the browser itself says the post came from this site (`Sec-Fetch-Site:
same-origin`, a header no page script can set). The CSRF token is still checked as always.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.middleware.csrf import CsrfViewMiddleware as DjangoCsrfViewMiddleware

MARK = "accepts_own_posts_without_origin"


def accepts_own_posts_without_origin(
    view: Callable[..., HttpResponse],
) -> Callable[..., HttpResponse]:
    setattr(view, MARK, True)
    return view


class CsrfViewMiddleware(DjangoCsrfViewMiddleware):
    def process_view(
        self,
        request: HttpRequest,
        callback: Callable[..., Any],
        callback_args: tuple[Any, ...],
        callback_kwargs: dict[str, Any],
    ) -> HttpResponse | None:
        request._origin_null_allowed = getattr(callback, MARK, False)  # type: ignore[attr-defined]
        return super().process_view(request, callback, callback_args, callback_kwargs)

    def _origin_verified(self, request: HttpRequest) -> bool:
        if (
            getattr(request, "_origin_null_allowed", False)
            and request.META.get("HTTP_ORIGIN") == "null"
            and request.META.get("HTTP_SEC_FETCH_SITE") == "same-origin"
        ):
            return True
        return super()._origin_verified(request)
