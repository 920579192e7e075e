"""The rows of an invoice table as HTML, assembled in Python.

A table row printed by Django's template engine cost about twenty variable lookups and escapes;
with dozens of rows a page, that was the largest part of rendering My Invoices (see
/work/shared/reference/performance-notes.md: "row HTML assembled in Python"). The values were
already built once per row (invoices.rows); this writes the same markup the template wrote,
escaping every value, so the table's look, its phone cards (the `label` spans) and its
accessibility stay as they were. The table around them (caption and headings) is assembled
here too: through the template engine it cost more than its rows.
"""

from __future__ import annotations

from collections.abc import Iterable
from html import escape
from typing import Protocol

from django.utils.html import conditional_escape
from django.utils.safestring import SafeString, mark_safe

from invoices.rows import Row


class ActionNames(Protocol):
    pdf: str
    pay: str


class ColumnNames(ActionNames, Protocol):
    invoice: str
    status: str
    download: str
    issued: str
    due: str
    total: str
    amount_due: str
    paid_on: str


def invoice_table(
    rows: Iterable[Row], cols: ColumnNames, caption: str, *, paid: bool
) -> SafeString:
    """A whole invoice table: its hidden caption, its headings and `table_rows`."""
    last = cols.paid_on if paid else cols.amount_due
    return mark_safe(  # noqa: S308 - every value escaped
        '<table class="invoice-table">\n'
        f'  <caption class="visually-hidden">{conditional_escape(caption)}</caption>\n'
        "  <thead>\n"
        "    <tr>\n"
        f'      <th scope="col">{escape(cols.invoice)}</th>\n'
        f'      <th scope="col">{escape(cols.issued)}</th>\n'
        f'      <th scope="col">{escape(cols.due)}</th>\n'
        f'      <th scope="col" class="num">{escape(cols.total)}</th>\n'
        f'      <th scope="col" class="num">{escape(last)}</th>\n'
        f'      <th scope="col">{escape(cols.status)}</th>\n'
        f'      <th scope="col"><span class="visually-hidden">{escape(cols.download)}</span></th>\n'
        "    </tr>\n"
        "  </thead>\n"
        "  <tbody>\n"
        f"    {table_rows(rows, cols, paid=paid)}\n"
        "  </tbody>\n"
        "</table>"
    )


def table_rows(rows: Iterable[Row], cols: ColumnNames, *, paid: bool) -> SafeString:
    """Every `<tr>` of one table. `paid` tables end with the day paid, others with the amount
    due."""
    labels = {
        "issued": escape(cols.issued),
        "due": escape(cols.due),
        "total": escape(cols.total),
        "last": escape(cols.paid_on if paid else cols.amount_due),
        "pdf": escape(cols.pdf),
        "pay": escape(cols.pay),
    }
    return mark_safe("".join(_row(row, labels, paid) for row in rows))  # noqa: S308 - escaped


def _row(row: Row, labels: dict[str, str], paid: bool) -> str:
    number = escape(row.number)
    location = f'<span class="row-location">{escape(row.location)}</span>' if row.location else ""
    if paid:
        last = (
            f'<td class="num date"><span class="label">{labels["last"]}</span> '
            f"{escape(row.paid_on)}</td>"
        )
    else:
        last = (
            f'<td class="num due amount"><span class="label">{labels["last"]}</span> '
            f"{escape(row.amount_due)}</td>"
        )
    actions = _actions(row, number, labels["pay"], labels["pdf"])
    return (
        "<tr>"
        f'<th scope="row" class="number"><a href="{escape(row.href)}">{number}</a>{location}</th>'
        f'<td class="date"><span class="label">{labels["issued"]}</span> {escape(row.issued)}</td>'
        f'<td class="date"><span class="label">{labels["due"]}</span> {escape(row.due)}</td>'
        f'<td class="num amount"><span class="label">{labels["total"]}</span> '
        f"{escape(row.total)}</td>"
        f"{last}"
        f'<td class="state">{_status(row)}</td>'
        f'<td class="actions-cell">{actions}</td>'
        "</tr>"
    )


def urgent_items(rows: Iterable[Row], cols: ActionNames) -> SafeString:
    """The dashboard panel's "Most urgent" list: one `<li>` per row (number, amount due,
    status, actions), in the markup its template used to print."""
    pay_label, pdf_label = escape(cols.pay), escape(cols.pdf)
    return mark_safe(  # noqa: S308 - every value escaped
        "".join(_urgent_item(row, pay_label, pdf_label) for row in rows)
    )


def _urgent_item(row: Row, pay_label: str, pdf_label: str) -> str:
    number = escape(row.number)
    return (
        "<li>\n"
        f'<span class="urgent-number"><a href="{escape(row.href)}">{number}</a></span>\n'
        f'<span class="urgent-amount amount">{escape(row.amount_due)}</span>\n'
        f'<span class="urgent-state">{_status(row)}</span>\n'
        f'<span class="urgent-actions">{_actions(row, number, pay_label, pdf_label)}</span>\n'
        "</li>\n"
    )


def _status(row: Row) -> str:
    note = (
        f' <span class="status status-note">{escape(row.status.note)}</span>'
        if row.status.note
        else ""
    )
    return (
        f'<span class="status status-{escape(row.status.kind)}">{escape(row.status.label)}</span>'
        f"{note}"
    )


def _actions(row: Row, number: str, pay_label: str, pdf_label: str) -> str:
    """The Pay and PDF links; each names its invoice to a screen reader (`number`, escaped)."""
    hidden_number = f'<span class="visually-hidden"> {number}</span>'
    pay = (
        f'<a class="row-action row-pay" href="{escape(row.pay_href)}">'
        f"{pay_label}{hidden_number}</a>"
        if row.pay_href
        else ""
    )
    pdf = (
        f'<a class="row-action" href="{escape(row.pdf_href)}">{pdf_label}{hidden_number}</a>'
        if row.pdf_href
        else ""
    )
    return pay + pdf
