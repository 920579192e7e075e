"""Cross-cutting views: the dashboard and the liveness probe."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET


@require_GET
@never_cache
def healthz(request: HttpRequest) -> HttpResponse:
    # Liveness only: it must answer even when Nexudus is down, so it calls nothing upstream.
    return HttpResponse("ok", content_type="text/plain")


@require_GET
def dashboard(request: HttpRequest) -> HttpResponse:
    return render(request, "portal/dashboard.html")
