"""The project's own few routes: liveness, the favicon and robots.txt."""

from __future__ import annotations

from django.contrib.auth.decorators import login_not_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.templatetags.static import static
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET


@login_not_required
@require_GET
@never_cache
def healthz(request: HttpRequest) -> HttpResponse:
    # Liveness only: it must answer even when Nexudus is down, so it calls nothing upstream.
    return HttpResponse("ok", content_type="text/plain")


@login_not_required
@require_GET
def favicon(request: HttpRequest) -> HttpResponse:
    # Browsers ask for /favicon.ico on pages that name no icon, such as the admin's.
    return redirect(static("img/favicon.svg"), permanent=True)


ROBOTS = """User-agent: *
Disallow: /
"""


@login_not_required
@require_GET
def robots(request: HttpRequest) -> HttpResponse:
    # Nothing here is for search engines: member pages are private and checkout links are secrets.
    return HttpResponse(ROBOTS, content_type="text/plain")
