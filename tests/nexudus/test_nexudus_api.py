from __future__ import annotations

import json
from datetime import date, datetime
from decimal import Decimal
from urllib.parse import parse_qs, urlsplit

import pytest
import responses
from responses import matchers

import nexudus
from nexudus import records
from nexudus.api import PDF_MAX_BYTES, Api, InvoiceQuery
from nexudus.http import Transport

from .conftest import BASE_URL

TOKEN_URL = f"{BASE_URL}/api/token"
INVOICES_URL = f"{BASE_URL}/api/public/billing/invoices/my"

TOKEN_BODY = {
    "access_token": "access-abc",
    "token_type": "bearer",
    "expires_in": 86400,
    "refresh_token": "refresh-xyz",
}

INVOICE = {
    "Id": 12345,
    "UniqueId": "7f0c2b7e-0000-4000-8000-000000000001",
    "InvoiceNumber": "INV-2025-000123",
    "Draft": False,
    "Paid": False,
    "PaidOn": None,
    "DueDate": "2025-10-01T00:00:00Z",
    "CreatedOn": "2025-09-01T09:30:00Z",
    "CreditNote": False,
    "TotalAmount": 199.0,
    "TaxAmount": 33.17,
    "DueAmount": 199.0,
    "TotalFormated": "$199.00",
    "Currency": {"Code": "USD", "Name": "US Dollar", "Format": "$0,0.00"},
    "BusinessWebAddress": "myspace",
    "BusinessName": "My Space",
    "Lines": [
        {
            "Description": "Hot desk, September",
            "Quantity": 1,
            "UnitPrice": 165.83,
            "SubTotal": 165.83,
            "TaxAmount": 33.17,
            "TaxRate": 20,
            "DiscountAmount": 0,
        }
    ],
}


def page_of(*invoices: dict[str, object], **envelope: object) -> dict[str, object]:
    body: dict[str, object] = {
        "Records": list(invoices),
        "CurrentPage": 1,
        "PageSize": 25,
        "TotalItems": len(invoices),
        "TotalPages": 1,
        "HasNextPage": False,
        "HasPreviousPage": False,
    }
    body.update(envelope)
    return body


def query_of(call: responses.Call) -> dict[str, list[str]]:
    return parse_qs(urlsplit(call.request.url).query, keep_blank_values=True)


def form_of(call: responses.Call) -> dict[str, list[str]]:
    body = call.request.body
    return parse_qs(body if isinstance(body, str) else body.decode())


# --- sign_in / refresh ----------------------------------------------------------------------------


def test_it_signs_in_with_a_form_encoded_password_grant_and_the_client_id_header(upstream, api):
    upstream.post(TOKEN_URL, json=TOKEN_BODY)

    tokens = api.sign_in("ada@example.com", "s3cret!", client_id="nexudus.portal.ada")

    assert tokens == records.Tokens("access-abc", "refresh-xyz", 86400, "bearer")
    call = upstream.calls[0]
    assert call.request.headers["Content-Type"] == "application/x-www-form-urlencoded"
    assert call.request.headers["client_id"] == "nexudus.portal.ada"
    assert form_of(call) == {
        "grant_type": ["password"],
        "username": ["ada@example.com"],
        "password": ["s3cret!"],
    }


def test_it_sends_the_totp_code_only_when_one_is_given(upstream, api):
    upstream.post(TOKEN_URL, json=TOKEN_BODY)

    api.sign_in("ada@example.com", "pw", client_id="c", totp="123456")
    api.sign_in("ada@example.com", "pw", client_id="c", totp=None)

    assert form_of(upstream.calls[0])["totp"] == ["123456"]
    assert "totp" not in form_of(upstream.calls[1])


@pytest.mark.parametrize(
    ("error", "raised"),
    [
        ("invalid_grant", nexudus.InvalidCredentials),
        ("two_factor_auth_check", nexudus.TwoFactorRequired),
        ("must_reset_password", nexudus.MustResetPassword),
    ],
)
def test_it_tells_apart_the_ways_sign_in_is_refused(upstream, error, raised, api):
    upstream.post(
        TOKEN_URL,
        status=400,
        json={"error": error, "error_description": "<b>The user name is incorrect.</b>"},
    )

    with pytest.raises(raised) as caught:
        api.sign_in("ada@example.com", "pw", client_id="c")

    assert isinstance(caught.value, nexudus.SignInRefused)
    assert caught.value.status == 400
    assert "incorrect" not in str(caught.value)  # upstream text never reaches our messages


@pytest.mark.parametrize(
    "body",
    [
        json.dumps({"error": "unsupported_grant_type"}),
        json.dumps({"error": "something_new"}),
        json.dumps(["not", "an", "object"]),
        "<html>Bad Request</html>",
        "",
    ],
)
def test_it_calls_any_other_sign_in_400_a_bad_response(upstream, body, api):
    upstream.post(TOKEN_URL, status=400, body=body)

    with pytest.raises(nexudus.BadResponse) as caught:
        api.sign_in("ada@example.com", "pw", client_id="c")

    assert not isinstance(caught.value, nexudus.SignInRefused)


def test_it_never_retries_sign_in(upstream, sleeps, api):
    upstream.post(TOKEN_URL, status=503)

    with pytest.raises(nexudus.Unavailable):
        api.sign_in("ada@example.com", "pw", client_id="c")

    assert len(upstream.calls) == 1
    assert sleeps == []


def test_it_refreshes_with_the_refresh_grant_and_the_same_client_id(upstream, api):
    upstream.post(TOKEN_URL, json={**TOKEN_BODY, "refresh_token": "refresh-new"})

    tokens = api.refresh("refresh-xyz", client_id="nexudus.portal.ada")

    assert tokens.refresh_token == "refresh-new"
    call = upstream.calls[0]
    assert call.request.headers["client_id"] == "nexudus.portal.ada"
    assert form_of(call) == {"grant_type": ["refresh_token"], "refresh_token": ["refresh-xyz"]}


@pytest.mark.parametrize("error", ["invalid_grant", "must_reset_password"])
def test_it_ends_the_session_when_the_refresh_token_is_refused(upstream, error, api):
    upstream.post(TOKEN_URL, status=400, json={"error": error})

    with pytest.raises(nexudus.Unauthorized):
        api.refresh("refresh-old", client_id="c")


def test_it_calls_an_odd_refresh_refusal_a_bad_response(upstream, api):
    upstream.post(TOKEN_URL, status=400, json={"error": "unsupported_grant_type"})

    with pytest.raises(nexudus.BadResponse):
        api.refresh("refresh-old", client_id="c")


def test_it_reads_expires_in_even_when_it_comes_as_a_string(upstream, api):
    upstream.post(TOKEN_URL, json={**TOKEN_BODY, "expires_in": "1209599"})

    assert api.sign_in("a@b.c", "pw", client_id="c").expires_in == 1209599


def test_it_rejects_a_token_response_without_an_access_token(upstream, api):
    upstream.post(TOKEN_URL, json={"token_type": "bearer", "expires_in": 1})

    with pytest.raises(nexudus.BadResponse) as caught:
        api.sign_in("a@b.c", "pw", client_id="c")

    assert str(caught.value) == "POST /api/token -> field access_token is missing"


# --- the member -----------------------------------------------------------------------------------


def test_it_loads_the_member_with_a_bearer_token(upstream, api):
    upstream.get(
        f"{BASE_URL}/api/public/coworkers/profiles",
        match=[matchers.header_matcher({"Authorization": "Bearer access-abc"})],
        json={
            "User": {"Id": 7, "FullName": "Ada Lovelace", "Email": "ada@example.com"},
            "DefaultBusiness": {"Id": 3, "Name": "My Space", "WebAddress": "myspace"},
            "Profiles": [
                {"Id": 70, "FullName": "Ada", "CompanyName": None, "IsDefaultProfile": False},
                {
                    "Id": 71,
                    "FullName": "Ada",
                    "CompanyName": "Engines Ltd",
                    "IsDefaultProfile": True,
                },
            ],
        },
    )

    me = api.get_me("access-abc")

    assert me.email == "ada@example.com"
    assert me.full_name == "Ada Lovelace"
    assert [p.id for p in me.profiles] == [70, 71]
    assert me.profiles[1] == records.Profile(71, "Ada", True)


def test_it_loads_the_current_business(upstream, api):
    upstream.get(
        f"{BASE_URL}/api/public/businesses/current",
        json={
            "Id": 3,
            "Name": "My Space",
            "WebAddress": "myspace",
            "Currency": {"Code": "GBP", "Name": "British Pound", "Format": "£0,0.00"},
            "LanguageCulture": "en-GB",
            "TimeZone": "Europe/London",
        },
    )

    business = api.get_business("access-abc")

    assert business == records.Business(
        id=3,
        name="My Space",
        currency_code="GBP",
        language_culture="en-GB",
        time_zone="Europe/London",
        web_address="myspace",
    )


def test_it_fetches_a_media_token(upstream, api):
    upstream.get(f"{BASE_URL}/api/auth/media/customer", json={"jwt": "eyJ.media.jwt"})

    assert api.get_media_token("access-abc") == records.MediaToken("eyJ.media.jwt")


def test_it_says_unauthorized_when_the_bearer_token_has_expired(upstream, api):
    upstream.get(f"{BASE_URL}/api/public/coworkers/profiles", status=401, body="")

    with pytest.raises(nexudus.Unauthorized) as caught:
        api.get_me("expired")

    assert str(caught.value) == "GET /api/public/coworkers/profiles -> 401"
    assert caught.value.status == 401


# --- invoices -------------------------------------------------------------------------------------


def test_it_lists_invoices_as_records_with_decimal_money_and_naive_local_times(upstream, api):
    upstream.get(INVOICES_URL, json=page_of(INVOICE))

    page = api.list_invoices("access-abc", InvoiceQuery(paid=False))

    (invoice,) = page.invoices
    assert invoice.id == 12345
    assert invoice.number == "INV-2025-000123"
    assert invoice.total_amount == Decimal("199.0")
    assert invoice.due_amount == Decimal("199.0")
    assert isinstance(invoice.due_amount, Decimal)
    # "...Z" is the location's wall clock, not UTC: kept as is, without a time zone.
    assert invoice.created_on == datetime(2025, 9, 1, 9, 30)
    assert invoice.created_on.tzinfo is None
    assert invoice.due_date == date(2025, 10, 1)
    assert invoice.paid is False
    assert invoice.paid_on is None
    assert invoice.unique_id == "7f0c2b7e-0000-4000-8000-000000000001"
    assert invoice.business_name == "My Space"
    assert invoice.lines == (
        records.InvoiceLine(
            description="Hot desk, September",
            quantity=Decimal(1),
            unit_price=Decimal("165.83"),
            sub_total=Decimal("165.83"),
            tax_amount=Decimal("33.17"),
            tax_rate=Decimal(20),
            discount_amount=Decimal(0),
        ),
    )
    assert invoice.currency_code == "USD"
    assert invoice.business_web_address == "myspace"
    assert (page.page, page.size, page.total_items, page.total_pages) == (1, 25, 1, 1)
    assert (page.has_next, page.has_previous) == (False, False)


def test_it_asks_for_unpaid_invoices_and_credit_notes_with_paging(upstream, api):
    upstream.get(INVOICES_URL, json=page_of())

    api.list_invoices("access-abc", InvoiceQuery(paid=False, credit_notes=True, page=2, size=10))

    assert query_of(upstream.calls[0]) == {
        "paid": ["false"],
        "creditNotes": ["true"],
        "page": ["2"],
        "size": ["10"],
    }


def test_it_leaves_paid_out_to_list_paid_and_unpaid_alike(upstream, api):
    upstream.get(INVOICES_URL, json=page_of())

    api.list_invoices("access-abc")

    query = query_of(upstream.calls[0])
    assert "paid" not in query
    assert query["creditNotes"] == ["false"]
    assert "_shape" not in query


def test_it_shapes_the_list_relative_to_the_response_root(upstream, api):
    upstream.get(INVOICES_URL, json=page_of({"Id": 1, "InvoiceNumber": "INV-1"}))

    query = InvoiceQuery(fields=("InvoiceNumber", "Currency.Code", "Id"))
    page = api.list_invoices("access-abc", query)

    shape = query_of(upstream.calls[0])["_shape"][0].split(",")
    assert shape == [
        "Records.Id",
        "Records.InvoiceNumber",
        "Records.Currency.Code",
        "CurrentPage",
        "PageSize",
        "TotalItems",
        "TotalPages",
        "HasNextPage",
        "HasPreviousPage",
    ]
    assert page.invoices == (records.Invoice(id=1, number="INV-1"),)


def test_it_refuses_field_names_that_could_smuggle_more_shape_paths(upstream, api):
    for bad in (("Id,Secret",), ("Lines[0]",), ("../x",), "InvoiceNumber"):
        with pytest.raises((ValueError, TypeError)):
            api.list_invoices("access-abc", InvoiceQuery(fields=bad))  # type: ignore[arg-type]
    assert len(upstream.calls) == 0


def test_it_gets_one_invoice_by_id_with_an_optional_shape(upstream, api):
    upstream.get(f"{BASE_URL}/api/public/billing/invoices/12345", json=INVOICE)

    invoice = api.get_invoice("access-abc", 12345, fields=["InvoiceNumber", "Lines"])

    assert invoice.id == 12345
    assert query_of(upstream.calls[0]) == {"_shape": ["Id,InvoiceNumber,Lines"]}


def test_it_says_not_found_for_an_unknown_invoice(upstream, api):
    upstream.get(f"{BASE_URL}/api/public/billing/invoices/999", status=404, body="Not here")

    with pytest.raises(nexudus.NotFound):
        api.get_invoice("access-abc", 999)


def test_it_only_puts_int_ids_into_paths(upstream, api):
    with pytest.raises(TypeError):
        api.get_invoice("access-abc", "1/../../admin")  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        api.get_invoice_pdf_by_token(True, token="t")  # type: ignore[arg-type]
    with pytest.raises(nexudus.NotFound):
        api.get_invoice("access-abc", 0)
    assert len(upstream.calls) == 0


# --- PDFs and guest registration ------------------------------------------------------------------

PDF = b"%PDF-1.7\n" + b"0" * 2000 + b"\n%%EOF\n"


def test_it_downloads_a_guest_pdf_with_the_gateway_token(upstream, api):
    url = f"{BASE_URL}/api/public/billing/invoices/12345/pdfByToken"
    upstream.get(url, body=PDF, content_type="application/pdf")

    assert api.get_invoice_pdf_by_token(12345, token="cs_test_a1B2c3&x=1") == PDF
    assert query_of(upstream.calls[0]) == {"token": ["cs_test_a1B2c3&x=1"]}


def test_it_refuses_a_pdf_that_is_not_a_pdf(upstream, api):
    url = f"{BASE_URL}/api/public/billing/invoices/12345/pdfByToken"
    upstream.get(url, body="<!doctype html><title>Portal</title>", content_type="text/html")

    with pytest.raises(nexudus.BadResponse) as caught:
        api.get_invoice_pdf_by_token(12345, token="cs_test_x")

    assert str(caught.value) == "GET /api/public/billing/invoices/12345/pdfByToken -> not a PDF"


def test_it_allows_pdfs_bigger_than_the_json_cap_but_not_endless_ones(upstream, session, api):
    url = f"{BASE_URL}/api/public/billing/invoices/12345/pdfByToken"
    big = b"%PDF" + b"0" * (session.max_body_bytes + 1)
    upstream.get(url, body=big, content_type="application/pdf")
    assert api.get_invoice_pdf_by_token(12345, token="t") == big

    upstream.replace(
        responses.GET,
        url,
        body=b"%PDF" + b"0" * PDF_MAX_BYTES,
        content_type="application/pdf",
    )
    with pytest.raises(nexudus.BadResponse):
        api.get_invoice_pdf_by_token(12345, token="t")


def test_it_registers_a_guest_by_token_once(upstream, api):
    url = f"{BASE_URL}/api/public/billing/invoices/12345/registerByToken"
    upstream.post(url, json={"Token": "eyJ.invoice.scoped"})

    registration = api.register_by_token(12345, token="cs_test_abc")

    assert registration == records.Registration("eyJ.invoice.scoped")
    assert query_of(upstream.calls[0]) == {"token": ["cs_test_abc"]}
    assert not upstream.calls[0].request.body


def test_it_never_retries_a_registration(upstream, sleeps, api):
    url = f"{BASE_URL}/api/public/billing/invoices/12345/registerByToken"
    upstream.post(url, status=502)

    with pytest.raises(nexudus.Unavailable):
        api.register_by_token(12345, token="cs_test_abc")

    assert len(upstream.calls) == 1


# --- odd answers ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "content_type"),
    [
        ('{"Records": [', "application/json"),
        ("<!doctype html><html><body>Members portal</body></html>", "text/html"),
        ('{"Records": []}', "text/html; charset=utf-8"),
        ('{"Records": [{"Id": 1, "TotalAmount": NaN}]}', "application/json"),
        ("\xff\xfe garbage", "application/json"),
    ],
)
def test_it_calls_unparseable_or_html_answers_bad_responses(upstream, body, content_type, api):
    upstream.get(INVOICES_URL, body=body, content_type=content_type)

    with pytest.raises(nexudus.BadResponse) as caught:
        api.list_invoices("access-abc")

    assert str(caught.value).startswith("GET /api/public/billing/invoices/my -> ")
    assert "Members portal" not in str(caught.value)


@pytest.mark.parametrize(
    "body",
    [
        {"Records": None},
        {"TotalItems": 0},
        {"Records": [{"InvoiceNumber": "no id"}]},
        {"Records": [{"Id": 1, "TotalAmount": "lots"}]},
        {"Records": [{"Id": 1, "Paid": "maybe"}]},
        {"Records": [{"Id": 1, "CreatedOn": "yesterday"}]},
        {"Records": ["INV-1"]},
        {"Records": [{"Id": 1, "Lines": "none"}]},
    ],
)
def test_it_calls_wrongly_shaped_answers_bad_responses(upstream, body, api):
    upstream.get(INVOICES_URL, json=body)

    with pytest.raises(nexudus.BadResponse):
        api.list_invoices("access-abc")


def test_it_reads_totals_sent_as_strings(upstream, api):
    upstream.get(INVOICES_URL, json=page_of({**INVOICE, "TotalAmount": "199.00", "DueAmount": 0}))

    (invoice,) = api.list_invoices("access-abc").invoices

    assert invoice.total_amount == Decimal("199.00")
    assert invoice.due_amount == Decimal(0)


# --- the shared session --------------------------------------------------------------------------


def test_it_lends_its_session_to_a_test_and_takes_it_back(settings):
    # No module global to swap: an Api uses the transport it is given, and the process's
    # default one is chosen by settings, so a test's settings get a transport of their own.
    borrowed = Transport()
    assert Api(borrowed).transport is borrowed
    shared = nexudus.default_api()
    settings.NEXUDUS_HTTP = {**settings.NEXUDUS_HTTP, "deadline": 1.5}
    assert nexudus.default_api().transport.deadline == 1.5
    assert nexudus.default_api() is nexudus.default_api()
    assert nexudus.default_api() is not shared


def test_its_default_budget_matches_the_documented_one():
    session = Transport()

    assert (session.connect_timeout, session.read_timeout, session.deadline) == (3.05, 5.0, 8.0)
    assert (session.max_retries, session.backoff_factor, session.backoff_max) == (2, 0.25, 2.0)
    assert session.max_body_bytes == 5 * 1024 * 1024
    assert session.get_adapter("https://x.test")._pool_maxsize == 16
    retry = session.get_adapter("https://x.test").max_retries
    assert (retry.total, retry.connect, retry.read, retry.status) == (2, 2, 2, 2)
    assert retry.status_forcelist == {500, 502, 503, 504}
    assert retry.allowed_methods == {"GET"}
    assert retry.respect_retry_after_header is False
    assert session.trust_env is False


def test_it_asks_for_an_order_and_keeps_the_order_it_was_given(upstream, api):
    upstream.get(
        INVOICES_URL,
        json=page_of(CurrentOrderField="CreatedOn", CurrentSortDirection="DESC"),
    )

    query = InvoiceQuery(order_by="CreatedOn", fields=("CreatedOn",))
    page = api.list_invoices("access-abc", query)

    sent = query_of(upstream.calls[0])
    assert (sent["orderBy"], sent["dir"]) == (["CreatedOn"], ["-1"])
    assert sent["_shape"][0].endswith(",CurrentOrderField,CurrentSortDirection")
    assert (page.order_field, page.order_direction) == ("CreatedOn", "DESC")
    api.list_invoices("access-abc", InvoiceQuery(order_by="CreatedOn", ascending=True))
    assert query_of(upstream.calls[1])["dir"] == ["1"]
    with pytest.raises(ValueError):
        api.list_invoices("access-abc", InvoiceQuery(order_by="CreatedOn,Records.Secret"))


def test_it_fetches_a_members_pdf_with_the_media_token_from_a_trusted_host(upstream, api):
    url = f"{BASE_URL}/api/public/billing/invoices/12345/pdf"
    upstream.get(url, body=PDF, content_type="application/pdf")

    body = api.get_invoice_pdf("media-jwt", 12345, "evil.example.com")

    assert body == PDF
    assert upstream.calls[0].request.url.startswith(url)  # not the untrusted host
    assert query_of(upstream.calls[0]) == {"t": ["media-jwt"]}
    with pytest.raises(TypeError):
        api.get_invoice_pdf("media-jwt", "12345", None)  # type: ignore[arg-type]


def test_an_expired_media_token_is_unauthorized_not_a_pdf(upstream, api):
    url = f"{BASE_URL}/api/public/billing/invoices/12345/pdf"
    upstream.get(url, status=401)
    with pytest.raises(nexudus.Unauthorized):
        api.get_invoice_pdf("old-jwt", 12345, None)
    upstream.get(f"{BASE_URL}/api/public/billing/invoices/7/pdf", body="{}")
    with pytest.raises(nexudus.BadResponse):
        api.get_invoice_pdf("jwt", 7, None)
