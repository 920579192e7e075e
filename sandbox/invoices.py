"""A member's invoices as JSON: the filtered, paged list (/billing/invoices/my) and one
invoice's details (/billing/invoices/{id})."""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

from werkzeug.wrappers import Request, Response

from sandbox.auth import bearer
from sandbox.data import Invoice, InvoiceLine, Person, format_money
from sandbox.people import currency_json, web_address
from sandbox.responses import Halt, json_response, nexudus_datetime, not_found
from sandbox.state import SandboxState

PAGE_SIZE_DEFAULT = 25
PAGE_SIZE_MAX = 100

# orderBy value (any case) -> the field it echoes and the key it sorts on.
ORDER_FIELDS: dict[str, tuple[str, Callable[[Invoice], Any]]] = {
    "createdon": ("CreatedOn", lambda inv: inv.created_on),
    "duedate": ("DueDate", lambda inv: inv.due_date),
    "invoicenumber": ("InvoiceNumber", lambda inv: inv.number),
    "id": ("Id", lambda inv: inv.id),
}
ASCENDING = "1"  # `dir`; "-1" or anything else means descending


def list_invoices(state: SandboxState, request: Request) -> Response:
    """Reading chosen (UNCERTAIN upstream): `page` is 1-based (default 1) and `size` defaults
    to 25, capped at 100; a value that is not a positive integer falls back to the default.
    `paid` and `creditNotes` accept true/false in any case; anything else counts as omitted.
    `TotalPages` is 0 when there is nothing to list.

    `orderBy` and `dir` follow the admin REST convention (§6b): `orderBy` is CreatedOn,
    DueDate, InvoiceNumber or Id in any case, `dir` is 1 (ascending) or -1 (descending); an
    unknown field means CreatedOn and any other `dir` means descending, the default order.
    Ties are broken by Id in the same direction, so pages never overlap. The order used comes
    back in `CurrentOrderField` and `CurrentSortDirection` ("ASC"/"DESC")."""
    person = bearer(state, request)
    args = request.args
    paid = _parse_bool(args.get("paid"))
    credit_notes = _parse_bool(args.get("creditNotes")) or False
    page = _positive_int(args.get("page"), 1)
    size = min(_positive_int(args.get("size"), PAGE_SIZE_DEFAULT), PAGE_SIZE_MAX)
    order_field, sort_key = ORDER_FIELDS.get(
        (args.get("orderBy") or "").strip().lower(), ORDER_FIELDS["createdon"]
    )
    ascending = (args.get("dir") or "").strip() == ASCENDING
    rows = [
        inv
        for inv in state.data.invoices_of(person.id)
        if (credit_notes or not inv.credit_note) and (paid is None or inv.paid == paid)
    ]
    if order_field != "CreatedOn" or ascending:
        # invoices_of is already newest first (ties: higher id first), the default order.
        rows.sort(key=lambda inv: (sort_key(inv), inv.id), reverse=not ascending)
    total = len(rows)
    total_pages = math.ceil(total / size)
    chunk = rows[(page - 1) * size : page * size]
    first = (page - 1) * size + 1 if chunk else 0
    body = {
        "Records": [invoice_json(state, inv, request, person) for inv in chunk],
        "CurrentPageSize": size,
        "CurrentPage": page,
        "CurrentOrderField": order_field,
        "CurrentSortDirection": "ASC" if ascending else "DESC",
        "FirstItem": first,
        "HasNextPage": page < total_pages,
        "HasPreviousPage": page > 1,
        "LastItem": first + len(chunk) - 1 if chunk else 0,
        "PageNumber": page,
        "PageSize": size,
        "TotalItems": total,
        "TotalPages": total_pages,
    }
    return json_response(body, shape=args.get("_shape"))


def invoice_details(state: SandboxState, request: Request, invoice_id: int) -> Response:
    """Reading chosen (UNCERTAIN upstream): a draft is not exposed by id (404, like an
    unknown invoice), although the list shows it and its PDF can be downloaded."""
    person = bearer(state, request)
    invoice = own_invoice(state, invoice_id, person.id)
    if invoice.draft:
        raise Halt(not_found())
    body = invoice_json(state, invoice, request, person)
    return json_response(body, shape=request.args.get("_shape"))


def own_invoice(state: SandboxState, invoice_id: int, person_id: int) -> Invoice:
    """The person's invoice; otherwise halt with 404.

    Reading chosen (UNCERTAIN upstream): another member's invoice and an unknown one both
    answer 404 (never 401), so ids cannot be probed.
    """
    invoice = state.data.invoices.get(invoice_id)
    if invoice is None or invoice.person_id != person_id:
        raise Halt(not_found())
    return invoice


def invoice_json(
    state: SandboxState, invoice: Invoice, request: Request, viewer: Person
) -> dict[str, Any]:
    """Reading chosen (UNCERTAIN upstream): invoices carry the bill-to block, per-line
    `Quantity`/`TaxRate` and `TaxAmount`, and `PaidAmount` (TotalAmount - DueAmount);
    `TotalFormated` comes from Babel for the location's culture. The lines come as `Lines`,
    except on one seeded invoice (LINES_RAW_INVOICE_ID) that names them `LinesRaw`, the name a
    captured basket preview used, so clients learn to read both."""
    location = state.data.locations[invoice.location_id]
    owner = state.data.people[invoice.person_id]
    return {
        "Id": invoice.id,
        "UniqueId": invoice.unique_id,
        "InvoiceNumber": invoice.number,
        "Draft": invoice.draft,
        "Paid": invoice.paid,
        "PaidOn": nexudus_datetime(invoice.paid_on),
        "CreatedOn": nexudus_datetime(invoice.created_on),
        "DueDate": nexudus_datetime(invoice.due_date),
        "CreditNote": invoice.credit_note,
        "TotalAmount": invoice.total_amount,
        "TaxAmount": invoice.tax_amount,
        "DueAmount": invoice.due_amount,
        "PaidAmount": invoice.paid_amount,
        "TotalFormated": format_money(
            invoice.total_amount, location.currency_code, location.culture
        ),
        "Currency": currency_json(location),
        "BusinessId": location.id,
        "BusinessName": location.name,
        "BusinessWebAddress": web_address(location.id, request.host, viewer.home_location_id),
        "CoworkerId": owner.id,
        "CoworkerFullName": owner.full_name,
        "BillToName": invoice.bill_to_name,
        "BillToAddress": invoice.bill_to_address,
        "BillToCity": invoice.bill_to_city,
        "BillToPostCode": invoice.bill_to_post_code,
        "BillToCountryName": invoice.bill_to_country_name,
        "BillToTaxIDNumber": invoice.bill_to_tax_id,
        "LinesRaw" if invoice.lines_raw else "Lines": [_line_json(line) for line in invoice.lines],
    }


def _line_json(line: InvoiceLine) -> dict[str, Any]:
    # Reading chosen (UNCERTAIN upstream): SubTotal is net of tax, after discount.
    return {
        "Description": line.description,
        "Quantity": line.quantity,
        "UnitPrice": line.unit_price,
        "SubTotal": line.sub_total,
        "TaxAmount": line.tax_amount,
        "TaxRate": line.tax_rate,
        "DiscountAmount": line.discount_amount,
        "CoworkerContractUniqueId": line.contract_unique_id,
        "BookingUniqueId": line.booking_unique_id,
    }


def _parse_bool(value: str | None) -> bool | None:
    if value is None:
        return None
    lowered = value.strip().lower()
    return True if lowered == "true" else False if lowered == "false" else None


def _positive_int(value: str | None, default: int) -> int:
    try:
        number = int(value) if value is not None else default
    except ValueError:
        return default
    return number if number >= 1 else default
