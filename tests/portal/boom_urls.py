"""The portal's URLs plus one view that fails, to see the 500 page members would get."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.urls import path

from portal import members
from portal.urls import urlpatterns as portal_urlpatterns


@members.public
def boom(request: HttpRequest) -> HttpResponse:
    raise RuntimeError("secret-detail-that-must-not-leak")


urlpatterns = [*portal_urlpatterns, path("boom/", boom)]
