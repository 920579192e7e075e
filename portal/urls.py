"""Root URLs. Each app owns its own routes; the contract lists them in DESIGN.md and README."""

from __future__ import annotations

from django.contrib import admin
from django.urls import include, path

from portal import views

urlpatterns = [
    path("", include("members.urls")),
    path("invoices/", include("invoices.urls")),
    path("checkout/", include("checkout.urls")),
    path("webhooks/", include("invoices.webhook_urls")),
    path("preview/", include("preview.urls")),
    path("healthz", views.healthz, name="healthz"),
    path("brand.css", views.brand_stylesheet, name="brand_css"),
    # The footer's language switcher (Django's set_language); no language ever goes in a URL.
    path("i18n/setlang/", views.set_language, name="set_language"),
    path("favicon.ico", views.favicon),
    path("robots.txt", views.robots),
    path("admin/", admin.site.urls),
]

handler400 = "portal.views.bad_request"
handler403 = "portal.views.permission_denied"
handler404 = "portal.views.page_not_found"
handler500 = "portal.views.server_error"
