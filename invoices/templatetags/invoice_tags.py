"""Template filters of the invoices app: thin wrappers over plain, separately tested functions."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django import template
from django.utils.safestring import SafeString

from invoices.row_html import table_rows, urgent_items
from invoices.rows import Row

register = template.Library()


@register.filter
def due_rows(rows: Iterable[Row], cols: Any) -> SafeString:
    """`{{ rows|due_rows:cols }}`: table rows ending with the amount due."""
    return table_rows(rows, cols, paid=False)


@register.filter
def paid_rows(rows: Iterable[Row], cols: Any) -> SafeString:
    """`{{ rows|paid_rows:cols }}`: table rows ending with the day paid."""
    return table_rows(rows, cols, paid=True)


@register.filter
def urgent_list(rows: Iterable[Row], cols: Any) -> SafeString:
    """`{{ rows|urgent_list:cols }}`: the dashboard panel's most urgent invoices, as `<li>`s."""
    return urgent_items(rows, cols)
