"""CSRF protection for pages sent with `Referrer-Policy: no-referrer`.

Browsers send `Origin: null` on every form post from such a page, and Django refuses a post
whose Origin does not match. Views wrapped in `accepts_own_posts_without_origin` are left alone
by the global CSRF middleware and checked by this variant instead: a null Origin is accepted when
the browser itself says the post came from this site (`Sec-Fetch-Site: same-origin`, a header no
page script can set). The CSRF token is checked exactly as always.
"""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse
from django.middleware.csrf import CsrfViewMiddleware
from django.utils.decorators import decorator_from_middleware
from django.views.decorators.csrf import csrf_exempt


class NullOriginFromOwnPageCsrfMiddleware(CsrfViewMiddleware):
    def _origin_verified(self, request: HttpRequest) -> bool:
        if (
            request.META.get("HTTP_ORIGIN") == "null"
            and request.META.get("HTTP_SEC_FETCH_SITE") == "same-origin"
        ):
            return True
        return super()._origin_verified(request)


_protect = decorator_from_middleware(NullOriginFromOwnPageCsrfMiddleware)


def accepts_own_posts_without_origin(
    view: Callable[..., HttpResponse],
) -> Callable[..., HttpResponse]:
    # Exempt from the global check only to be checked here, token included.
    return csrf_exempt(_protect(view))
