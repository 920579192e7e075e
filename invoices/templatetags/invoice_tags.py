"""Template tags for invoices: thin wrappers over `invoices.status` and `web.formatting`,
which are tested on their own."""

from __future__ import annotations

from django import template

from invoices import status
from invoices.pages import DocumentLinks
from nexudus.records import Invoice
from web.templatetags.web_tags import culture_of, money

register = template.Library()


@register.simple_tag(takes_context=True)
def invoice_total(context: template.Context, invoice: Invoice) -> str:
    # Nexudus sends the total already formatted for the issuing location; use it when present.
    if invoice.total_formatted:
        return invoice.total_formatted
    return money(context, invoice.total_amount, invoice.currency_code)


@register.simple_tag(takes_context=True)
def amount_due(context: template.Context, invoice: Invoice) -> str:
    due = status.amount_due(invoice)
    if due is not None and due == invoice.total_amount and invoice.total_formatted:
        # Nothing paid yet: show the very string of the total, so the row reads alike.
        return invoice.total_formatted
    return money(context, due, invoice.currency_code)


@register.simple_tag(takes_context=True)
def invoice_status(context: template.Context, invoice: Invoice) -> status.Status:
    return status.invoice_status(invoice, context["today"], culture_of(context))


@register.simple_tag
def invoice_pdf_href(links: DocumentLinks, invoice: Invoice) -> str:
    """A member's PDF link from the page's document links (ours, or a preview's samples)."""
    return links.invoice_pdf(invoice.id)
