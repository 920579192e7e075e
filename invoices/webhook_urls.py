"""/webhooks/nexudus/: the one route Nexudus itself calls (DESIGN.md's contract)."""

from __future__ import annotations

from django.urls import path

from invoices import views

app_name = "webhooks"

urlpatterns = [path("nexudus/", views.nexudus_webhook, name="nexudus")]
