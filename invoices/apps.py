from __future__ import annotations

from django.apps import AppConfig


class InvoicesConfig(AppConfig):
    name = "invoices"

    def ready(self) -> None:
        from invoices.pages import unpaid_panel
        from web import panels

        panels.register(
            panels.Panel("unpaid-invoices", "invoices/includes/unpaid_panel.html", unpaid_panel)
        )
