from __future__ import annotations

from django.urls import path

from invoices import export_views, views

app_name = "invoices"

urlpatterns = [
    path("", views.invoice_list, name="list"),
    path("<int:invoice_id>/", views.invoice_detail, name="detail"),
    path("<int:invoice_id>/pay/", views.invoice_pay, name="pay"),
    path("<int:invoice_id>/pdf/", views.invoice_pdf, name="pdf"),
    path("next/pdf/", views.next_invoice_pdf, name="next"),
    path("statement/pdf/", views.statement_pdf, name="statement"),
    path("export.csv", export_views.export_csv, name="export_csv"),
    path("export.zip", export_views.export_zip, name="export_zip"),
]
