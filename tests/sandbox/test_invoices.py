"""GET /api/public/billing/invoices/my and /invoices/{id}."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

import pytest
from werkzeug.test import Client

from sandbox.app import SandboxApp
from sandbox.data import LINES_RAW_INVOICE_ID, SHOWCASE_INVOICES

from .conftest import SignedIn

LIST = "/api/public/billing/invoices/my"
ENVELOPE_KEYS = {
    "Records",
    "CurrentPageSize",
    "CurrentPage",
    "CurrentOrderField",
    "CurrentSortDirection",
    "FirstItem",
    "HasNextPage",
    "HasPreviousPage",
    "LastItem",
    "PageNumber",
    "PageSize",
    "TotalItems",
    "TotalPages",
}


def listing(client: Client, who: SignedIn, query: str = "") -> dict:
    response = client.get(f"{LIST}?{query}", headers=who.headers)
    assert response.status_code == 200
    assert response.content_type == "application/json; charset=utf-8"
    return response.get_json()


def test_it_lists_only_the_members_own_invoices_newest_first(
    client: Client, member: SignedIn, app: SandboxApp
) -> None:
    body = listing(client, member)
    assert set(body) == ENVELOPE_KEYS
    records = body["Records"]
    assert {r["CoworkerId"] for r in records} == {member.person_id}
    created = [r["CreatedOn"] for r in records]
    assert created == sorted(created, reverse=True)
    assert body["CurrentOrderField"] == "CreatedOn"
    assert body["CurrentSortDirection"] == "DESC"


def test_it_leaves_credit_notes_out_unless_asked(client: Client, member: SignedIn) -> None:
    default = listing(client, member)
    with_credit = listing(client, member, "creditNotes=true")
    explicit_false = listing(client, member, "creditNotes=false")
    assert not any(r["CreditNote"] for r in default["Records"])
    assert default["TotalItems"] == explicit_false["TotalItems"] == 13
    assert with_credit["TotalItems"] == 15
    credit_notes = [r for r in with_credit["Records"] if r["CreditNote"]]
    assert {r["Currency"]["Code"] for r in credit_notes} == {"GBP", "EUR"}
    assert all(r["TotalAmount"] < 0 for r in credit_notes)


def test_it_filters_on_paid(client: Client, member: SignedIn) -> None:
    unpaid = listing(client, member, "paid=false")["Records"]
    paid = listing(client, member, "paid=True")["Records"]
    assert unpaid and all(not r["Paid"] and r["PaidOn"] is None for r in unpaid)
    assert paid and all(r["Paid"] and r["PaidOn"] for r in paid)
    assert len(unpaid) + len(paid) == 13


def test_it_lists_the_draft_among_unpaid_invoices(client: Client, member: SignedIn) -> None:
    unpaid = listing(client, member, "paid=false")["Records"]
    drafts = [r for r in unpaid if r["Draft"]]
    assert len(drafts) == 1
    assert not any(r["Draft"] for r in listing(client, member, "paid=true")["Records"])


def test_it_seeds_overdue_not_yet_due_and_partly_paid_invoices(
    client: Client, member: SignedIn, app: SandboxApp
) -> None:
    unpaid = [r for r in listing(client, member, "paid=false")["Records"] if not r["Draft"]]
    today = app.data.today
    due = [datetime.strptime(r["DueDate"], "%Y-%m-%dT%H:%M:%SZ").date() for r in unpaid]
    assert sum(d < today for d in due) >= 2
    assert sum(d >= today for d in due) >= 2
    assert any(0 < r["DueAmount"] < r["TotalAmount"] for r in unpaid)
    assert {r["Currency"]["Code"] for r in unpaid} == {"GBP", "EUR"}


def test_it_serialises_an_invoice_the_nexudus_way(client: Client, member: SignedIn) -> None:
    response = client.get(
        "/api/public/billing/invoices/30012", headers={**member.headers, "Host": "127.0.0.1:8001"}
    )
    assert response.status_code == 200
    invoice = response.get_json()
    assert invoice["Id"] == 30012
    assert invoice["InvoiceNumber"].startswith("HWL-")
    assert invoice["TotalAmount"] == 1234.5
    assert invoice["TaxAmount"] == 230.84
    assert invoice["DueAmount"] == 1234.5
    assert invoice["TotalFormated"] == "1\xa0234,50\xa0€"
    assert invoice["Currency"] == {"Code": "EUR", "Name": "Euro", "Format": "0,0.00 €"}
    assert invoice["BusinessName"] == "Harbour Works Lisboa"
    # Lisboa is not Ada's home: the other loopback name, same port.
    assert invoice["BusinessWebAddress"] == "localhost:8001"
    assert invoice["CoworkerFullName"] == "Ada Lovelace"
    assert invoice["BillToName"] == "Analytical Engines Ltd"
    assert invoice["BillToTaxIDNumber"] == "GB123456789"
    assert invoice["CreatedOn"].endswith("T09:30:00Z")
    assert invoice["DueDate"].endswith("T00:00:00Z")
    [line] = invoice["Lines"]
    assert line == {
        "Description": "Private office — 4 desks, monthly",
        "Quantity": 1,
        "UnitPrice": 1003.66,
        "SubTotal": 1003.66,
        "TaxAmount": 230.84,
        "TaxRate": 23,
        "DiscountAmount": 0.0,
        "CoworkerContractUniqueId": line["CoworkerContractUniqueId"],
        "BookingUniqueId": None,
    }
    assert line["CoworkerContractUniqueId"]


def test_it_formats_london_totals_in_pounds(client: Client, member: SignedIn) -> None:
    invoice = client.get(
        "/api/public/billing/invoices/30001", headers={**member.headers, "Host": "localhost:9999"}
    ).get_json()
    assert invoice["TotalFormated"] == "£510.00"
    assert invoice["Currency"]["Format"] == "£0,0.00"
    # London is Ada's home: the host she came in on; from localhost the other name is 127.0.0.1.
    assert invoice["BusinessWebAddress"] == "localhost:9999"
    lisboa = client.get(
        "/api/public/billing/invoices/30011", headers={**member.headers, "Host": "localhost:9999"}
    ).get_json()
    assert lisboa["BusinessWebAddress"] == "127.0.0.1:9999"


def test_it_keeps_a_hostile_line_description_as_plain_data(
    client: Client, member: SignedIn
) -> None:
    invoice = client.get("/api/public/billing/invoices/30006", headers=member.headers).get_json()
    descriptions = [line["Description"] for line in invoice["Lines"]]
    assert 'Event ticket: <script>alert(1)</script> & "quotes"' in descriptions


def test_it_shapes_an_invoice(client: Client, member: SignedIn) -> None:
    response = client.get(
        "/api/public/billing/invoices/30001?_shape=InvoiceNumber,Currency.Code,Lines.Description",
        headers=member.headers,
    )
    body = response.get_json()
    assert set(body) == {"InvoiceNumber", "Currency", "Lines"}
    assert body["Currency"] == {"Code": "GBP"}
    assert all(set(line) == {"Description"} for line in body["Lines"])


def test_it_shapes_a_listing_from_the_response_root(client: Client, member: SignedIn) -> None:
    body = listing(
        client,
        member,
        "_shape=Records.Id,Records.InvoiceNumber,Records.Currency.Code,TotalItems,HasNextPage",
    )
    assert set(body) == {"Records", "TotalItems", "HasNextPage"}
    assert set(body["Records"][0]) == {"Id", "InvoiceNumber", "Currency"}


def test_it_answers_404_for_someone_elses_invoice(
    client: Client, member: SignedIn, other_member: SignedIn
) -> None:
    graces = client.get("/api/public/billing/invoices/31001", headers=other_member.headers)
    assert graces.status_code == 200
    response = client.get("/api/public/billing/invoices/31001", headers=member.headers)
    assert response.status_code == 404
    assert response.get_json()["Message"]


def test_it_answers_404_for_an_unknown_invoice(client: Client, member: SignedIn) -> None:
    assert client.get("/api/public/billing/invoices/1", headers=member.headers).status_code == 404


def test_it_lists_nothing_for_a_member_without_invoices(
    client: Client, empty_member: SignedIn
) -> None:
    body = listing(client, empty_member)
    assert body["Records"] == []
    assert body["TotalItems"] == 0
    assert body["TotalPages"] == 0
    assert body["FirstItem"] == body["LastItem"] == 0
    assert body["HasNextPage"] is False
    assert body["HasPreviousPage"] is False


def test_it_pages_through_two_thousand_invoices(client: Client, busy_member: SignedIn) -> None:
    first = listing(client, busy_member)
    assert first["TotalItems"] == 2000
    assert first["PageSize"] == first["CurrentPageSize"] == 25
    assert first["TotalPages"] == 80
    assert len(first["Records"]) == 25
    assert (first["FirstItem"], first["LastItem"]) == (1, 25)
    assert first["HasNextPage"] is True
    assert first["HasPreviousPage"] is False

    last = listing(client, busy_member, "page=20&size=100")
    assert last["PageNumber"] == last["CurrentPage"] == 20
    assert (last["FirstItem"], last["LastItem"]) == (1901, 2000)
    assert last["HasNextPage"] is False
    assert last["HasPreviousPage"] is True

    seen: list[int] = []
    page = 1
    while True:
        body = listing(client, busy_member, f"page={page}&size=100&_shape=Records.Id,HasNextPage")
        seen.extend(r["Id"] for r in body["Records"])
        if not body["HasNextPage"]:
            break
        page += 1
    assert len(seen) == len(set(seen)) == 2000


def test_it_caps_the_page_size_at_one_hundred(client: Client, busy_member: SignedIn) -> None:
    body = listing(client, busy_member, "size=5000")
    assert body["PageSize"] == 100
    assert len(body["Records"]) == 100


@pytest.mark.parametrize("query", ["page=0", "page=-3", "page=abc", "size=0", "size=x"])
def test_it_falls_back_to_defaults_for_nonsense_paging(
    client: Client, busy_member: SignedIn, query: str
) -> None:
    body = listing(client, busy_member, query)
    assert (body["PageNumber"], body["PageSize"]) == (1, 25)


def test_it_answers_an_empty_page_past_the_end(client: Client, busy_member: SignedIn) -> None:
    body = listing(client, busy_member, "page=999")
    assert body["Records"] == []
    assert body["TotalItems"] == 2000
    assert body["HasNextPage"] is False


def test_it_gives_the_busy_member_about_fifteen_unpaid(
    client: Client, busy_member: SignedIn
) -> None:
    assert listing(client, busy_member, "paid=false")["TotalItems"] == 15
    assert listing(client, busy_member, "paid=true")["TotalItems"] == 1985


def test_it_dates_the_seed_from_the_clock(app: SandboxApp) -> None:
    assert isinstance(app.data.today, date)
    assert abs((app.data.today - app.clock.now().date()).days) <= 1


def details(client: Client, who: SignedIn, invoice_id: int) -> dict:
    response = client.get(f"/api/public/billing/invoices/{invoice_id}", headers=who.headers)
    assert response.status_code == 200
    return response.get_json()


def test_it_says_how_much_has_been_paid(client: Client, member: SignedIn) -> None:
    partly = details(client, member, SHOWCASE_INVOICES["partly_paid"])
    assert (partly["TotalAmount"], partly["DueAmount"], partly["PaidAmount"]) == (540, 240, 300)
    unpaid = details(client, member, SHOWCASE_INVOICES["typical"])
    assert unpaid["PaidAmount"] == 0 and unpaid["DueAmount"] == unpaid["TotalAmount"]
    paid = details(client, member, 30005)
    assert paid["PaidAmount"] == paid["TotalAmount"] and paid["DueAmount"] == 0
    assert paid["UniqueId"]


def test_it_details_every_line_of_a_long_invoice_with_tax_and_discounts(
    client: Client, member: SignedIn
) -> None:
    invoice = details(client, member, SHOWCASE_INVOICES["multi_line_tax_and_discounts"])
    lines = invoice["Lines"]
    assert len(lines) >= 6
    for line in lines:
        assert {
            "Description",
            "Quantity",
            "UnitPrice",
            "SubTotal",
            "TaxRate",
            "TaxAmount",
            "DiscountAmount",
        } <= set(line)
        net = Decimal(str(line["Quantity"])) * Decimal(str(line["UnitPrice"]))
        assert Decimal(str(line["SubTotal"])) == net - Decimal(str(line["DiscountAmount"]))
        assert line["TaxRate"] == 20
    assert sum(line["DiscountAmount"] > 0 for line in lines) >= 2
    total = sum(Decimal(str(line["SubTotal"])) + Decimal(str(line["TaxAmount"])) for line in lines)
    assert total == Decimal(str(invoice["TotalAmount"]))
    assert Decimal(str(invoice["TaxAmount"])) == sum(
        Decimal(str(line["TaxAmount"])) for line in lines
    )


def test_it_details_a_credit_note_with_negative_lines(client: Client, member: SignedIn) -> None:
    credit = details(client, member, SHOWCASE_INVOICES["credit_note_negative_lines"])
    assert credit["CreditNote"] is True
    assert credit["TotalAmount"] < 0
    assert all(line["SubTotal"] < 0 and line["TaxAmount"] < 0 for line in credit["Lines"])


def test_it_names_one_lisboa_invoices_lines_lines_raw(client: Client, member: SignedIn) -> None:
    invoice = details(client, member, LINES_RAW_INVOICE_ID)
    assert invoice["Currency"]["Code"] == "EUR"
    assert "Lines" not in invoice
    assert [line["Description"] for line in invoice["LinesRaw"]] == [
        "Hot desk — 10-day pass",
        "Printing credits (€0.10/page)",
    ]
    listed = listing(client, member, "paid=false&size=100")["Records"]
    [record] = [r for r in listed if r["Id"] == LINES_RAW_INVOICE_ID]
    assert "LinesRaw" in record and "Lines" not in record
    assert all("Lines" in r for r in listed if r["Id"] != LINES_RAW_INVOICE_ID)


def test_it_hides_a_draft_by_id_but_lists_it_and_renders_its_pdf(
    client: Client, member: SignedIn
) -> None:
    draft_id = SHOWCASE_INVOICES["draft"]
    response = client.get(f"/api/public/billing/invoices/{draft_id}", headers=member.headers)
    assert response.status_code == 404
    assert response.get_json()["Message"]
    listed = listing(client, member, "paid=false")["Records"]
    assert [r["Id"] for r in listed if r["Draft"]] == [draft_id]
    jwt = client.get("/api/auth/media/customer", headers=member.headers).get_json()["jwt"]
    pdf = client.get(f"/api/public/billing/invoices/{draft_id}/pdf?t={jwt}")
    assert pdf.status_code == 200


def test_it_keeps_a_hostile_company_name_as_plain_data(
    client: Client, other_member: SignedIn
) -> None:
    [record] = listing(client, other_member, "paid=false")["Records"]
    assert record["BillToName"] == 'Hopper & Co "Compilers" <script>alert(1)</script>'


SORT_KEYS = {
    "CreatedOn": lambda r: r["CreatedOn"],
    "DueDate": lambda r: r["DueDate"],
    "InvoiceNumber": lambda r: r["InvoiceNumber"],
    "Id": lambda r: r["Id"],
}


@pytest.mark.parametrize("field", sorted(SORT_KEYS))
@pytest.mark.parametrize(("direction", "word"), [("1", "ASC"), ("-1", "DESC")])
def test_it_orders_by_each_documented_field_both_ways(
    client: Client, member: SignedIn, field: str, direction: str, word: str
) -> None:
    body = listing(client, member, f"creditNotes=true&orderBy={field}&dir={direction}")
    assert (body["CurrentOrderField"], body["CurrentSortDirection"]) == (field, word)
    keys = [(SORT_KEYS[field](r), r["Id"]) for r in body["Records"]]
    assert len(keys) == 15
    assert keys == sorted(keys, reverse=word == "DESC")


def test_it_reads_the_order_field_in_any_case(client: Client, member: SignedIn) -> None:
    body = listing(client, member, "orderBy=invoicenumber&dir=1")
    assert body["CurrentOrderField"] == "InvoiceNumber"
    numbers = [r["InvoiceNumber"] for r in body["Records"]]
    assert numbers == sorted(numbers)
    assert listing(client, member, "orderBy=DUEDATE")["CurrentOrderField"] == "DueDate"


@pytest.mark.parametrize("query", ["orderBy=TotalAmount", "orderBy=", "dir=0", "dir=asc", ""])
def test_it_falls_back_to_newest_first_for_an_unknown_order(
    client: Client, member: SignedIn, query: str
) -> None:
    body = listing(client, member, query)
    assert (body["CurrentOrderField"], body["CurrentSortDirection"]) == ("CreatedOn", "DESC")
    keys = [(r["CreatedOn"], r["Id"]) for r in body["Records"]]
    assert keys == sorted(keys, reverse=True)


def test_it_orders_only_by_direction_when_dir_alone_is_given(
    client: Client, member: SignedIn
) -> None:
    body = listing(client, member, "dir=1")
    assert (body["CurrentOrderField"], body["CurrentSortDirection"]) == ("CreatedOn", "ASC")
    created = [r["CreatedOn"] for r in body["Records"]]
    assert created == sorted(created)


def test_it_pages_stably_through_shared_invoice_numbers(
    client: Client, busy_member: SignedIn
) -> None:
    seen: list[tuple[str, int]] = []
    page = 1
    while True:
        query = f"orderBy=InvoiceNumber&dir=1&page={page}&size=100"
        shape = "_shape=Records.Id,Records.InvoiceNumber,HasNextPage"
        body = listing(client, busy_member, f"{query}&{shape}")
        seen.extend((r["InvoiceNumber"], r["Id"]) for r in body["Records"])
        if not body["HasNextPage"]:
            break
        page += 1
    assert len(seen) == len(set(seen)) == 2000
    assert seen == sorted(seen)
    numbers = [number for number, _ in seen]
    assert len(set(numbers)) < len(numbers)  # two locations share some numbers: ties by Id
