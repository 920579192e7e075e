from __future__ import annotations

from django.urls import path

from checkout import views

app_name = "checkout"

urlpatterns = [
    path("complete/<int:invoice_id>/", views.checkout_complete, name="complete"),
]
