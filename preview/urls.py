from __future__ import annotations

from django.urls import path

from preview import views

app_name = "preview"

urlpatterns = [
    path("", views.index, name="index"),
    # Guests first: "guest" would otherwise be read as a sample person's name.
    path("sample/guest/<int:invoice_id>.pdf", views.sample_guest_pdf, name="guest_pdf"),
    path("sample/<str:person>/<int:invoice_id>.pdf", views.sample_invoice_pdf, name="invoice_pdf"),
    path("sample/<str:person>/statement.pdf", views.sample_statement_pdf, name="statement_pdf"),
    path("<str:page>/<str:state>/", views.show, name="show"),
    path("<str:page>/<str:state>/phone/", views.phone, name="phone"),
]
