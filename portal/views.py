"""The project's own few routes: liveness, the favicon, robots.txt, the language switcher's
POST, and the error pages."""

from __future__ import annotations

from dataclasses import dataclass

from django.contrib.auth.decorators import login_not_required
from django.http import HttpRequest, HttpResponse, HttpResponseServerError
from django.shortcuts import redirect
from django.template import loader
from django.templatetags.static import static
from django.utils.cache import patch_cache_control
from django.utils.translation import gettext_lazy as _
from django.views import i18n
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_POST, require_safe

from web.branding import brand_css, brand_for
from web.csrf import accepts_own_posts_without_origin
from web.pages import Page, render_page


@login_not_required
@require_safe
@never_cache
def healthz(request: HttpRequest) -> HttpResponse:
    # Liveness only: it must answer even when Nexudus is down, so it calls nothing upstream.
    return HttpResponse("ok", content_type="text/plain")


@login_not_required
@require_safe
def favicon(request: HttpRequest) -> HttpResponse:
    # Browsers ask for /favicon.ico on pages that name no icon, such as the admin's.
    return redirect(static("img/favicon.svg"), permanent=True)


@login_not_required
@require_safe
def brand_stylesheet(request: HttpRequest) -> HttpResponse:
    """The location's colour as CSS variables: a stylesheet, since the CSP allows no inline
    style. Pages name the colour in its address (only a readable one is ever turned into CSS),
    so it is the same for everyone and can be cached for long."""
    brand = brand_for("#" + request.GET.get("v", "")[:6])
    css = brand_css(brand) if brand else ""
    response = HttpResponse(css, content_type="text/css; charset=utf-8")
    patch_cache_control(response, public=True, max_age=30 * 24 * 3600)
    return response


@login_not_required
@sensitive_post_parameters("next")
@accepts_own_posts_without_origin
@require_POST
def set_language(request: HttpRequest) -> HttpResponse:
    """The footer's language switcher: Django's own view, which keeps the choice in a cookie and
    goes back to `next`. Open to visitors (sign-in, a guest's checkout). The guest's checkout page
    sends no referrer, so browsers post from it with `Origin: null`; its `next` carries the
    gateway's session id, so it stays out of error reports."""
    return i18n.set_language(request)


ROBOTS = """User-agent: *
Disallow: /
"""


@login_not_required
@require_safe
def robots(request: HttpRequest) -> HttpResponse:
    # Nothing here is for search engines: member pages are private and checkout links are secrets.
    return HttpResponse(ROBOTS, content_type="text/plain")


# --- Error pages ------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ErrorPage:
    title: str
    code: str
    heading: str
    message: str


ERRORS = {
    "400": ErrorPage(
        _("Bad request"),
        _("Error 400"),
        _("We could not understand that request"),
        _("The address may be incomplete or changed. Check it, or start again from the dashboard."),
    ),
    "403": ErrorPage(
        _("Not allowed"),
        _("Error 403"),
        _("You cannot open this page"),
        _("Your account does not have access to it. If you think it should, contact your space."),
    ),
    "403-csrf": ErrorPage(
        _("Page expired"),
        _("Error 403"),
        _("This form has expired"),
        _(
            "For your security, forms only work for a while and only from this site. "
            "Go back, reload the page and try again."
        ),
    ),
    "404": ErrorPage(
        _("Not found"),
        _("Error 404"),
        _("We could not find that page"),
        _("It may have moved, or the link may be mistyped."),
    ),
    "500": ErrorPage(
        _("Something went wrong"),
        _("Error 500"),
        _("Something went wrong on our side"),
        _("Please try again in a moment. If it keeps happening, contact your space."),
    ),
}


def error_page(kind: str) -> Page:
    """One of the styled error pages: the views below and the staff preview render these."""
    return Page("error.html", {"error": ERRORS[kind]}, int(kind[:3]))


def bad_request(request: HttpRequest, exception: Exception) -> HttpResponse:
    return render_page(request, error_page("400"))


def permission_denied(request: HttpRequest, exception: Exception) -> HttpResponse:
    return render_page(request, error_page("403"))


def page_not_found(request: HttpRequest, exception: Exception) -> HttpResponse:
    return render_page(request, error_page("404"))


def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    return render_page(request, error_page("403-csrf"))


def server_error(request: HttpRequest) -> HttpResponse:
    # Like Django's own handler: rendered without the request, so a failure in the request's
    # own state (its session, a context processor) cannot break the error page too.
    page = error_page("500")
    html = loader.get_template(page.template).render(dict(page.context))
    return HttpResponseServerError(html)
