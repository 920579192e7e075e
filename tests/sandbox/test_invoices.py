"""GET /api/public/billing/invoices/my and /invoices/{id}."""

from __future__ import annotations

from datetime import date, datetime

import pytest
from werkzeug.test import Client

from sandbox.app import SandboxApp

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
