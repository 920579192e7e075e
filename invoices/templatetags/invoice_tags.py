"""Template tags for invoices: thin wrappers over `invoices.status`, `invoices.links` and
`portal.formatting`, which are tested on their own."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from django import template
from django.urls import reverse

from invoices import links, status
from portal import formatting
from portal.nexudus import client
from portal.nexudus.records import Invoice

register = template.Library()


def _culture(context: template.Context) -> str | None:
    location = context.get("location")
    return getattr(location, "language_culture", None)


@register.simple_tag(takes_context=True)
def money(context: template.Context, amount: Decimal | None, currency_code: str | None) -> str:
    if amount is None:
        return ""
    return formatting.format_money(amount, currency_code, _culture(context))


@register.simple_tag(takes_context=True)
def invoice_total(context: template.Context, invoice: Invoice) -> str:
    # Nexudus sends the total already formatted for the issuing location; use it when present.
    if invoice.total_formatted:
        return invoice.total_formatted
    code = invoice.currency.code if invoice.currency else None
    return money(context, invoice.total_amount, code)


@register.simple_tag(takes_context=True)
def amount_due(context: template.Context, invoice: Invoice) -> str:
    due = status.amount_due(invoice)
    if due is not None and due == invoice.total_amount and invoice.total_formatted:
        # Nothing paid yet: show the very string of the total, so the row reads alike.
        return invoice.total_formatted
    code = invoice.currency.code if invoice.currency else None
    return money(context, due, code)


@register.simple_tag(takes_context=True)
def day(context: template.Context, value: date | datetime | None) -> str:
    return formatting.format_day(value, _culture(context))


@register.simple_tag(takes_context=True)
def invoice_status(context: template.Context, invoice: Invoice) -> status.Status:
    return status.invoice_status(invoice, context["today"], _culture(context))


@register.simple_tag
def member_pdf_href(invoice: Invoice) -> str:
    """A member's PDF link: our route, which mints the short-lived upstream link at click time."""
    sample = client.current_stand_in()
    if sample is not None:
        # In a staff preview: a sample PDF from the sandbox's generator, never a member's.
        return reverse("preview:invoice_pdf", args=[sample.person_key, invoice.id])
    return reverse("invoices:pdf", args=[invoice.id])


@register.simple_tag
def statement_pdf_href() -> str:
    sample = client.current_stand_in()
    if sample is not None:
        return reverse("preview:statement_pdf", args=[sample.person_key])
    return reverse("invoices:statement")


@register.simple_tag
def guest_pdf_href(invoice_id: int, gateway_token: str, web_address: str | None = None) -> str:
    """A guest's PDF link, straight to Nexudus: the gateway session id does not expire soon."""
    if client.current_stand_in() is not None:
        return reverse("preview:guest_pdf", args=[invoice_id])
    return links.guest_pdf_url(invoice_id, gateway_token, web_address)
