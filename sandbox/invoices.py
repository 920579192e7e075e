"""A member's invoices as JSON: the filtered, paged list (/billing/invoices/my) and one
invoice's details (/billing/invoices/{id})."""

from __future__ import annotations

import math
from datetime import datetime
from typing import Any

from werkzeug.wrappers import Request, Response

from sandbox.auth import bearer
from sandbox.data import Invoice, InvoiceLine, Person, format_money
from sandbox.people import currency_json, web_address
from sandbox.responses import Halt, json_response, not_found
from sandbox.state import SandboxState

PAGE_SIZE_DEFAULT = 25
PAGE_SIZE_MAX = 100


def list_invoices(state: SandboxState, request: Request) -> Response:
    """Reading chosen (UNCERTAIN upstream): `page` is 1-based (default 1) and `size` defaults
    to 25, capped at 100; a value that is not a positive integer falls back to the default.
    `paid` and `creditNotes` accept true/false in any case; anything else counts as omitted.
    `TotalPages` is 0 when there is nothing to list."""
    person = bearer(state, request)
    args = request.args
    paid = _parse_bool(args.get("paid"))
    credit_notes = _parse_bool(args.get("creditNotes")) or False
    page = _positive_int(args.get("page"), 1)
    size = min(_positive_int(args.get("size"), PAGE_SIZE_DEFAULT), PAGE_SIZE_MAX)
    rows = [
        inv
        for inv in state.data.invoices_of(person.id)
        if (credit_notes or not inv.credit_note) and (paid is None or inv.paid == paid)
    ]
    total = len(rows)
    total_pages = math.ceil(total / size)
    chunk = rows[(page - 1) * size : page * size]
    first = (page - 1) * size + 1 if chunk else 0
    body = {
        "Records": [invoice_json(state, inv, request, person) for inv in chunk],
        "CurrentPageSize": size,
        "CurrentPage": page,
        "CurrentOrderField": "CreatedOn",
        "CurrentSortDirection": "DESC",
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
    person = bearer(state, request)
    invoice = own_invoice(state, invoice_id, person.id)
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
    `Quantity`/`TaxRate` and `TaxAmount`; `TotalFormated` comes from Babel for the location's
    culture."""
    location = state.data.locations[invoice.location_id]
    owner = state.data.people[invoice.person_id]
    return {
        "Id": invoice.id,
        "UniqueId": invoice.unique_id,
        "InvoiceNumber": invoice.number,
        "Draft": invoice.draft,
        "Paid": invoice.paid,
        "PaidOn": _nexudus_datetime(invoice.paid_on),
        "CreatedOn": _nexudus_datetime(invoice.created_on),
        "DueDate": _nexudus_datetime(invoice.due_date),
        "CreditNote": invoice.credit_note,
        "TotalAmount": invoice.total_amount,
        "TaxAmount": invoice.tax_amount,
        "DueAmount": invoice.due_amount,
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
        "Lines": [_line_json(line) for line in invoice.lines],
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


def _nexudus_datetime(value: datetime | None) -> str | None:
    # Location wall-clock time with a literal "Z", as Nexudus serialises it (not real UTC).
    return value.strftime("%Y-%m-%dT%H:%M:%SZ") if value else None


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
