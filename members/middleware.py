"""Member sessions on every request: who is signed in, their Nexudus client, what needs signing
in, and what must never be cached."""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.contrib.auth.middleware import LoginRequiredMiddleware
from django.http import HttpRequest, HttpResponse
from django.utils import translation

from members.session import (
    current_location,
    current_member,
    end_member_session,
    redirect_to_sign_in,
)
from members.tokens import SessionTokenStore
from nexudus import MemberClient, SessionExpired, default_api
from web.headers import keep_private
from web.languages import culture_language, requested_language


class MemberMiddleware:
    """Attaches `request.member`, `request.location` and `request.nexudus`.

    `request.nexudus` is the Nexudus client bound to this browser session's tokens, the way
    healthchecks attaches `request.profile`: views call it and never see a token. It carries the
    request's budget too: all its calls together end within NEXUDUS_REQUEST_BUDGET_SECONDS.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        member = current_member(request.session)
        request.member = member  # type: ignore[attr-defined]
        request.location = current_location(request.session)  # type: ignore[attr-defined]
        request.nexudus = MemberClient(  # type: ignore[attr-defined]
            default_api(),
            SessionTokenStore(request.session),
            identity=member.identity if member else None,
            coworker_id=member.coworker_id if member else None,
            budget=settings.NEXUDUS_REQUEST_BUDGET_SECONDS,
        )
        response = self.get_response(request)
        if request.member is not None:  # type: ignore[attr-defined]
            # A member's page must never be kept by a browser or a proxy after sign-out.
            keep_private(response)
        if request.session.modified:
            request.nexudus.keep_newest_tokens()  # type: ignore[attr-defined]
        return response

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if isinstance(exception, SessionExpired):
            end_member_session(request)
            return redirect_to_sign_in(request, reason="expired")
        return None


class MemberLanguageMiddleware:
    """A signed-in member who asked for no language of ours reads their location's.

    Django's LocaleMiddleware has already chosen from the switcher's cookie and the browser's
    Accept-Language, falling back to English; only that fallback is replaced here, by the
    location's `LanguageCulture`. Visitors who are not signed in keep English.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        location = request.location  # type: ignore[attr-defined]
        if request.member is not None and location is not None:  # type: ignore[attr-defined]
            language = culture_language(location.language_culture)
            active = getattr(request, "LANGUAGE_CODE", None)
            if language and language != active and requested_language(request) is None:
                translation.activate(language)
                request.LANGUAGE_CODE = language  # type: ignore[attr-defined]
        return self.get_response(request)


class MemberRequiredMiddleware(LoginRequiredMiddleware):
    """Django's LoginRequiredMiddleware, asking for a signed-in member instead of a user.

    Views marked with Django's `login_not_required` are public (sign-in, guest checkout,
    health). Django's admin brings its own staff sign-in, so it is left to it.
    """

    def process_view(
        self,
        request: HttpRequest,
        view_func: Callable[..., HttpResponse],
        view_args: tuple[object, ...],
        view_kwargs: dict[str, object],
    ) -> HttpResponse | None:
        if request.member is not None:  # type: ignore[attr-defined]
            return None
        if not getattr(view_func, "login_required", True):
            return None
        match = request.resolver_match
        if match is not None and match.namespace == "admin":
            return None
        return self.handle_no_permission(request, view_func)

    def handle_no_permission(
        self, request: HttpRequest, view_func: Callable[..., HttpResponse]
    ) -> HttpResponse:
        return redirect_to_sign_in(request)
