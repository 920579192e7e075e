# ruff: noqa: E501 - the reference template is kept verbatim, long lines and all
"""Issue 15: table rows assembled in Python are the markup the template wrote, escaped."""

from __future__ import annotations

import itertools

import pytest
from django.template import Context, Template
from django.urls import reverse, set_script_prefix
from django.utils.safestring import mark_safe

from invoices.pages import Columns
from invoices.row_html import invoice_table, table_rows, urgent_items
from invoices.rows import MEMBER_LINKS, Row
from invoices.status import Status

# The row loop as templates/invoices/includes/invoice_table.html wrote it before the rows moved
# to Python: the reference the new markup must match.
TEMPLATE_ROWS = """{% for row in rows %}
      <tr>
        <th scope="row" class="number"><a href="{{ row.href }}">{{ row.number }}</a>{% if row.location %}<span class="row-location">{{ row.location }}</span>{% endif %}</th>
        <td class="date"><span class="label">{{ cols.issued }}</span> {{ row.issued }}</td>
        <td class="date"><span class="label">{{ cols.due }}</span> {{ row.due }}</td>
        <td class="num amount"><span class="label">{{ cols.total }}</span> {{ row.total }}</td>
        {% if paid %}<td class="num date"><span class="label">{{ last }}</span> {{ row.paid_on }}</td>{% else %}<td class="num due amount"><span class="label">{{ last }}</span> {{ row.amount_due }}</td>{% endif %}
        <td class="state"><span class="status status-{{ row.status.kind }}">{{ row.status.label }}</span>{% if row.status.note %} <span class="status status-note">{{ row.status.note }}</span>{% endif %}</td>
        <td class="actions-cell">{% if row.pay_href %}<a class="row-action row-pay" href="{{ row.pay_href }}">{{ cols.pay }}<span class="visually-hidden"> {{ row.number }}</span></a>{% endif %}{% if row.pdf_href %}<a class="row-action" href="{{ row.pdf_href }}">{{ cols.pdf }}<span class="visually-hidden"> {{ row.number }}</span></a>{% endif %}</td>
      </tr>
    {% endfor %}"""

# The table around the rows as templates/invoices/includes/invoice_table.html wrote it before it
# moved to Python (its rows came from table_rows then too).
TEMPLATE_TABLE = """<table class="invoice-table">
  <caption class="visually-hidden">{{ caption }}</caption>
  <thead>
    <tr>
      <th scope="col">{{ cols.invoice }}</th>
      <th scope="col">{{ cols.issued }}</th>
      <th scope="col">{{ cols.due }}</th>
      <th scope="col" class="num">{{ cols.total }}</th>
      <th scope="col" class="num">{{ last }}</th>
      <th scope="col">{{ cols.status }}</th>
      <th scope="col"><span class="visually-hidden">{{ cols.download }}</span></th>
    </tr>
  </thead>
  <tbody>
    {{ rows_html }}
  </tbody>
</table>"""

# The dashboard panel's "Most urgent" loop as templates/invoices/includes/unpaid_panel.html wrote
# it before the items moved to Python.
TEMPLATE_URGENT = """{% for row in panel.urgent %}
        <li>
          <span class="urgent-number"><a href="{{ row.href }}">{{ row.number }}</a></span>
          <span class="urgent-amount amount">{{ row.amount_due }}</span>
          <span class="urgent-state"><span class="status status-{{ row.status.kind }}">{{ row.status.label }}</span>{% if row.status.note %} <span class="status status-note">{{ row.status.note }}</span>{% endif %}</span>
          <span class="urgent-actions">{% if row.pay_href %}<a class="row-action row-pay" href="{{ row.pay_href }}">{{ panel.cols.pay }}<span class="visually-hidden"> {{ row.number }}</span></a>{% endif %}{% if row.pdf_href %}<a class="row-action" href="{{ row.pdf_href }}">{{ panel.cols.pdf }}<span class="visually-hidden"> {{ row.number }}</span></a>{% endif %}</span>
        </li>
      {% endfor %}"""

HOSTILE = "<script>alert('x')</script>&\"'"


def _row(n: int, *, hostile: bool, location: bool, note: bool, pay: bool, pdf: bool) -> Row:
    text = HOSTILE if hostile else ""
    return Row(
        id=n,
        number=f"INV-{n}{text}",
        issued=f"1 Oct 2026{text}",
        due="15 Oct 2026",
        total="£1,234.50",
        amount_due=f"−£10.00{text}",
        paid_on="2 Oct 2026",
        status=Status(
            "overdue", f"Overdue by 3 days{text}", f"Partially paid{text}" if note else ""
        ),
        href=f"/invoices/{n}/",
        pdf_href=f"/invoices/{n}/pdf/?a=1&b=2" if pdf else "",
        pay_href=f"/invoices/{n}/pay/" if pay else "",
        location=f"Harbour Works Lisboa{text}" if location else "",
    )


def _squeeze(html: str) -> str:
    return "".join(line.strip() for line in html.splitlines())


@pytest.mark.parametrize("paid", [False, True])
def test_python_rows_are_the_templates_rows(paid: bool) -> None:
    flags = list(itertools.product([False, True], repeat=5))
    rows = [
        _row(n, hostile=h, location=loc, note=note, pay=pay, pdf=pdf)
        for n, (h, loc, note, pay, pdf) in enumerate(flags, start=1)
    ]
    cols = Columns()
    last = cols.paid_on if paid else cols.amount_due
    expected = Template(TEMPLATE_ROWS).render(
        Context({"rows": rows, "cols": cols, "paid": paid, "last": last})
    )
    assert _squeeze(table_rows(rows, cols, paid=paid)) == _squeeze(expected)


def test_every_upstream_string_is_escaped() -> None:
    html = table_rows(
        [_row(1, hostile=True, location=True, note=True, pay=True, pdf=True)], Columns(), paid=False
    )
    assert "<script>" not in html
    assert "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt;&amp;&quot;&#x27;" in html
    assert 'href="/invoices/1/pdf/?a=1&amp;b=2"' in html


@pytest.mark.parametrize("invoice_id", [1, 42, 30001, 987654321987, 10**15])
def test_member_links_are_what_reverse_gives(invoice_id: int) -> None:
    assert MEMBER_LINKS.invoice(invoice_id) == reverse("invoices:detail", args=[invoice_id])
    assert MEMBER_LINKS.invoice_pdf(invoice_id) == reverse("invoices:pdf", args=[invoice_id])
    assert MEMBER_LINKS.invoice_pay(invoice_id) == reverse("invoices:pay", args=[invoice_id])


def test_member_links_follow_the_script_prefix() -> None:
    set_script_prefix("/portal/")
    try:
        assert MEMBER_LINKS.invoice(7) == "/portal/invoices/7/"
    finally:
        set_script_prefix("/")
    assert MEMBER_LINKS.invoice(7) == "/invoices/7/"


def test_python_urgent_items_are_the_templates_items() -> None:
    flags = list(itertools.product([False, True], repeat=5))
    rows = [
        _row(n, hostile=h, location=loc, note=note, pay=pay, pdf=pdf)
        for n, (h, loc, note, pay, pdf) in enumerate(flags, start=1)
    ]
    panel = {"urgent": rows, "cols": Columns()}
    expected = Template(TEMPLATE_URGENT).render(Context({"panel": panel}))

    html = urgent_items(rows, Columns())

    assert _squeeze(html) == _squeeze(expected)
    assert "<script>" not in html


@pytest.mark.parametrize("paid", [False, True])
def test_python_table_is_the_templates_table(paid: bool) -> None:
    rows = [_row(1, hostile=True, location=True, note=True, pay=True, pdf=True)]
    cols = Columns()
    expected = Template(TEMPLATE_TABLE).render(
        Context(
            {
                "caption": HOSTILE,
                "cols": cols,
                "last": cols.paid_on if paid else cols.amount_due,
                "rows_html": table_rows(rows, cols, paid=paid),
            }
        )
    )

    html = invoice_table(rows, cols, HOSTILE, paid=paid)

    assert html == expected
    assert "<script>" not in html


def test_a_caption_already_safe_is_not_escaped_twice() -> None:
    html = invoice_table([], Columns(), mark_safe("Paid &amp; settled"), paid=True)
    assert '<caption class="visually-hidden">Paid &amp; settled</caption>' in html
