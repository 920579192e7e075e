"""Template filters of the invoices app: thin wrappers over plain, separately tested functions."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django import template
from django.utils.safestring import SafeString

from invoices.row_html import invoice_table as table_html
from invoices.row_html import urgent_items
from invoices.rows import Row
from web.stamps import stamped

register = template.Library()


@register.simple_tag(takes_context=True)
def invoice_table(
    context: template.Context, rows: Iterable[Row], caption: str, paid: bool = False
) -> SafeString:
    """`{% invoice_table rows caption paid=True %}`: a whole table; the page gives `cols`."""
    return table_html(rows, context["cols"], str(caption), paid=paid)


@register.filter
def urgent_list(rows: Iterable[Row], cols: Any) -> SafeString:
    """`{{ rows|urgent_list:cols }}`: the dashboard panel's most urgent invoices, as `<li>`s."""
    return urgent_items(rows, cols)


@register.simple_tag(takes_context=True)
def filter_form(context: template.Context) -> SafeString:
    """The year, number and credit-note filters (includes/filter_form.html), rendered once per
    look (the years offered and the choices made) with only the typed number stamped in."""
    options = context["options"]
    look = {
        "years": tuple(context.get("years") or ()),
        "selected_year": options.year,
        "credit_notes": bool(options.credit_notes),
    }
    return stamped("invoices/includes/filter_form.html", look, {"q": options.q or ""})
