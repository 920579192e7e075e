"""Member sessions on every request: who is signed in, what needs signing in, what not to cache."""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse
from django.utils.cache import add_never_cache_headers, patch_cache_control

from portal import members


class MemberSessionMiddleware:
    """Pages need a signed-in member unless their view is marked `@members.public`.

    Django's admin brings its own (staff) sign-in, so it is left to it.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        request.member = members.current_member(request)  # type: ignore[attr-defined]
        response = self.get_response(request)
        if request.member is not None:  # type: ignore[attr-defined]
            # A member's page must never be kept by a browser or a proxy after sign-out.
            add_never_cache_headers(response)
            patch_cache_control(response, private=True)
        if request.session.modified:
            members.keep_newest_tokens(request.session)
        return response

    def process_view(
        self,
        request: HttpRequest,
        view_func: Callable[..., HttpResponse],
        view_args: tuple[object, ...],
        view_kwargs: dict[str, object],
    ) -> HttpResponse | None:
        if getattr(view_func, "member_not_required", False):
            return None
        match = request.resolver_match
        if match is not None and match.namespace == "admin":
            return None
        if request.member is None:  # type: ignore[attr-defined]
            return members.redirect_to_sign_in(request)
        return None

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if isinstance(exception, members.SessionExpired):
            members.end_member_session(request)
            return members.redirect_to_sign_in(request, reason="expired")
        return None
