"""The portal's URLs plus one view that fails, to see the 500 page members would get."""

from __future__ import annotations

from django.contrib.auth.decorators import login_not_required
from django.http import HttpRequest, HttpResponse
from django.urls import path

from portal.urls import handler400, handler403, handler404, handler500  # noqa: F401
from portal.urls import urlpatterns as portal_urlpatterns


@login_not_required
def boom(request: HttpRequest) -> HttpResponse:
    raise RuntimeError("secret-detail-that-must-not-leak")


urlpatterns = [*portal_urlpatterns, path("boom/", boom)]
