"""One invoice in HTML, Pay, the next invoice, the operator's switches and the space's look,
signed in for real against the sandbox."""

from __future__ import annotations

import re
from decimal import Decimal
from urllib.parse import urlsplit

import pytest
from django.test import Client

from sandbox.data import SHOWCASE_INVOICES
from tests.conftest import sign_in
from web.formatting import MINUS

pytestmark = pytest.mark.django_db

PAY_TEMPLATE = "http://{web_address}/invoices/{invoice_unique_id}/pay"
DETAIL = "/api/public/billing/invoices/"


def _page(response) -> str:
    return response.content.decode()


def _money(amount: Decimal, symbol: str) -> str:
    sign = MINUS if amount < 0 else ""
    return f"{sign}{symbol}{abs(amount):,.2f}"


def _seeded(sandbox, invoice_id: int):
    return sandbox.app.data.invoices[invoice_id]


@pytest.fixture
def paying(settings, sandbox):
    """Paying online on: Pay hands members to the sandbox's stand-in payment page."""
    settings.NEXUDUS_PAY_URL = PAY_TEMPLATE
    return settings


# --- the detail page ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "kind",
    ["typical", "partly paid", "credit note", "many lines", "lines raw", "thousands"],
)
def test_each_kind_of_invoice_reads_right_and_adds_up(signed_in_member, sandbox, kind) -> None:
    invoice_id = {
        "typical": 30001,
        "partly paid": 30002,
        "credit note": 30010,
        "many lines": 30009,
        "lines raw": 30011,
        "thousands": 30012,
    }[kind]
    seeded = _seeded(sandbox, invoice_id)
    symbol = "£" if seeded.location_id == 91001 else "€"
    sandbox.app.clear_log()
    response = signed_in_member.get(f"/invoices/{invoice_id}/")
    page = _page(response)
    assert response.status_code == 200
    # One upstream call, shaped to what the page shows.
    calls = sandbox.app.calls(DETAIL)
    assert [e.path for e in calls] == [f"{DETAIL}{invoice_id}"] and "_shape" in calls[0].query
    noun = "Credit note" if seeded.credit_note else "Invoice"
    assert f'<h1 id="invoice-title">{noun} {seeded.number}</h1>' in page
    # Every line, and totals that are the sums of the lines.
    lines = re.findall(r'<td class="num amount line-total"[^>]*>([^<]+)</td>', page)
    assert len(lines) == len(seeded.lines)
    sign = -1 if seeded.credit_note and seeded.total_amount > 0 else 1
    for line, shown in zip(seeded.lines, lines, strict=True):
        assert shown == _money(sign * line.total, symbol)
    assert f'<dt>Subtotal</dt><dd class="amount">{_money(sign * seeded.sub_total, symbol)}' in page
    assert f'<dt>Tax</dt><dd class="amount">{_money(sign * seeded.tax_amount, symbol)}' in page
    assert f'<dt>Total</dt><dd class="amount">{_money(sign * seeded.total_amount, symbol)}' in page
    if not seeded.credit_note:
        due = Decimal(0) if seeded.paid else seeded.due_amount
        assert f'<dt>Amount due</dt><dd class="amount">{_money(due, symbol)}' in page
        paid = seeded.total_amount - due
        assert f'<dt>Amount paid</dt><dd class="amount">{_money(paid, symbol)}' in page
    assert f'href="/invoices/{invoice_id}/pdf/"' in page
    assert seeded.paid is False or "Paid on" in page


def test_a_credit_note_reads_as_negative_lines(signed_in_member, sandbox) -> None:
    page = _page(signed_in_member.get("/invoices/30010/"))
    lines = re.findall(r'<td class="num amount line-total"[^>]*>([^<]+)</td>', page)
    assert lines and all(line.startswith(MINUS) for line in lines)
    assert "Credit left to use" in page


def test_upstream_strings_are_escaped_on_the_invoice_page(signed_in_member, sandbox) -> None:
    page = _page(signed_in_member.get(f"/invoices/{SHOWCASE_INVOICES['hostile_line']}/"))
    assert "<script>alert(1)</script>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page


@pytest.mark.parametrize("invoice_id", [31001, 999_999, 0, 30004])
def test_someone_elses_a_missing_a_junk_or_a_draft_invoice_is_the_styled_404(
    signed_in_member, sandbox, invoice_id
) -> None:
    response = signed_in_member.get(f"/invoices/{invoice_id}/")
    assert response.status_code == 404
    assert "We could not find that page" in _page(response)
    assert "31001" not in _page(response) or invoice_id == 31001  # no upstream text leaks


def test_a_non_number_id_is_a_404_without_an_upstream_call(signed_in_member, sandbox) -> None:
    sandbox.app.clear_log()
    assert signed_in_member.get("/invoices/abc/").status_code == 404
    assert signed_in_member.get("/invoices/-3/").status_code == 404
    assert sandbox.app.calls(DETAIL) == []


def test_the_invoice_page_says_so_when_nexudus_is_down(signed_in_member, sandbox) -> None:
    sandbox.app.knobs.update(fault="503", fault_path_prefix=f"{DETAIL}30001")
    response = signed_in_member.get("/invoices/30001/")
    assert response.status_code == 503
    assert "We could not load this invoice just now" in _page(response)
    assert 'href="/invoices/30001/"' in _page(response)


def test_every_row_and_the_panel_link_the_invoice_page(signed_in_member, sandbox) -> None:
    listing = _page(signed_in_member.get("/invoices/"))
    assert '<a href="/invoices/30001/">' in listing
    dashboard = _page(signed_in_member.get("/"))
    assert re.search(r'class="urgent-number"><a href="/invoices/\d+/">', dashboard)


def test_rows_name_the_location_when_the_member_has_several(signed_in_member, client, sandbox):
    listing = _page(signed_in_member.get("/invoices/"))
    assert '<span class="row-location">Harbour Works Lisboa</span>' in listing
    assert '<span class="row-location">Harbour Works London</span>' in listing
    grace = Client()
    grace.post("/login/", {"email": "grace@example.com", "password": "demo-pass-1"})
    grace.post("/login/", {"totp": "123456"})
    assert 'class="row-location"' not in _page(grace.get("/invoices/"))


# --- Pay ----------------------------------------------------------------------------------------


def test_pay_hands_the_member_to_the_locations_payment_page(signed_in_member, sandbox, paying):
    seeded = _seeded(sandbox, 30001)
    response = signed_in_member.get("/invoices/30001/pay/")
    assert response.status_code == 302
    location = response["Location"]
    assert location == f"{sandbox.url}/invoices/{seeded.unique_id}/pay"
    assert urlsplit(location).netloc in paying.NEXUDUS_TRUSTED_HOSTS
    assert "t=" not in location and "token" not in location and "Bearer" not in location
    assert response["Referrer-Policy"] == "no-referrer"
    assert "no-store" in response["Cache-Control"]


def test_pay_uses_the_issuing_locations_host(signed_in_member, sandbox, paying) -> None:
    seeded = _seeded(sandbox, 30011)  # issued in Lisboa: the sandbox's other host
    location = signed_in_member.get("/invoices/30011/pay/")["Location"]
    assert location == f"http://localhost:{sandbox.port}/invoices/{seeded.unique_id}/pay"


@pytest.mark.parametrize(
    "invoice_id",
    [30005, 30004, 30015, 31001, 999_999],
    ids=["paid", "draft", "credit", "other", "missing"],
)
def test_pay_is_a_404_for_anything_but_the_members_own_unpaid_invoice(
    signed_in_member, sandbox, paying, invoice_id
) -> None:
    assert signed_in_member.get(f"/invoices/{invoice_id}/pay/").status_code == 404


def test_pay_never_sends_a_member_to_an_untrusted_host(signed_in_member, sandbox, paying):
    paying.NEXUDUS_PAY_URL = "https://evil.example/pay/{invoice_unique_id}"
    response = signed_in_member.get("/invoices/30001/pay/")
    assert response.status_code == 302
    assert response["Location"] == "/invoices/30001/"


def test_pay_buttons_show_only_on_what_can_be_paid(signed_in_member, sandbox, paying) -> None:
    listing = _page(signed_in_member.get("/invoices/"))
    pays = set(re.findall(r'href="/invoices/(\d+)/pay/"', listing))
    owed = {
        str(i.id)
        for i in sandbox.app.data.invoices_of(
            sandbox.app.data.person_by_email("ada@example.com").id
        )
        if not (i.paid or i.draft or i.credit_note) and i.due_amount > 0
    }
    assert pays == owed
    detail = _page(signed_in_member.get("/invoices/30001/"))
    assert 'href="/invoices/30001/pay/"' in detail and "Pay £510.00" in detail
    assert re.search(
        r'urgent-actions"><a class="row-action row-pay" href="/invoices/\d+/pay/"',
        _page(signed_in_member.get("/")),
    )


def test_without_a_pay_page_the_invoice_says_how_to_pay(signed_in_member, sandbox, settings):
    settings.NEXUDUS_PAY_URL = ""
    settings.PAYMENT_INSTRUCTIONS = "Bank transfer to Harbour Works, sort code 00-00-00."
    detail = _page(signed_in_member.get("/invoices/30001/"))
    assert "/pay/" not in detail
    assert "How to pay" in detail and "sort code 00-00-00" in detail
    assert signed_in_member.get("/invoices/30001/pay/")["Location"] == "/invoices/30001/"


def test_the_sandbox_payment_loop_marks_the_invoice_paid(signed_in_member, sandbox, paying):
    import requests

    before = _page(signed_in_member.get("/"))
    count = int(re.search(r"(\d+) invoices to pay", before).group(1))
    pay_page = signed_in_member.get("/invoices/30001/pay/")["Location"]
    sandbox.app.knobs.update(portal_url="http://testserver")
    back = requests.post(pay_page, allow_redirects=False, timeout=10)
    assert back.status_code == 303
    complete = urlsplit(back.headers["Location"])
    page = signed_in_member.get(f"{complete.path}?{complete.query}")
    assert page.status_code == 200
    assert "Your payment went through" in _page(page)
    assert "You are signed in as" in _page(page)
    after = _page(signed_in_member.get("/"))
    assert f"{count - 1} invoices to pay" in after
    paid = _page(signed_in_member.get("/invoices/"))
    section = paid[paid.index('<section id="paid"') :]
    assert _seeded(sandbox, 30001).number in section


# --- the next invoice and the statement ---------------------------------------------------------


def test_the_next_invoice_and_the_statement_are_offered_when_there_is_something(
    signed_in_member, client, sandbox, empty_member
) -> None:
    import requests

    listing = _page(signed_in_member.get("/invoices/"))
    assert 'href="/invoices/next/pdf/"' in listing and 'href="/invoices/statement/pdf/"' in listing
    response = signed_in_member.get("/invoices/next/pdf/")
    assert response.status_code == 302
    assert "/api/public/billing/invoices/draft/pdf?t=" in response["Location"]
    assert requests.get(response["Location"], timeout=10).content.startswith(b"%PDF")
    sign_in(client, empty_member)
    empty = _page(client.get("/invoices/"))
    assert "/invoices/next/pdf/" not in empty and "/invoices/statement/pdf/" not in empty


# --- the operator's switches --------------------------------------------------------------------


def test_switching_off_viewing_hides_invoices_and_paying(client, sandbox, member, paying):
    sandbox.app.knobs.update(invoices_viewable=False)
    sign_in(client, member)
    sandbox.app.clear_log()
    listing = _page(client.get("/invoices/"))
    assert "does not show invoices in this portal" in listing
    assert "Unpaid invoices" not in _page(client.get("/"))
    assert sandbox.app.calls("/api/public/billing/invoices/my") == []
    assert client.get("/invoices/30001/pay/")["Location"] == "/invoices/30001/"


def test_switching_off_printing_hides_every_pdf(client, sandbox, member) -> None:
    sandbox.app.knobs.update(invoices_printable=False)
    sign_in(client, member)
    listing = _page(client.get("/invoices/"))
    assert "/pdf/" not in listing and "Download statement" not in listing
    assert "/pdf/" not in _page(client.get("/invoices/30001/"))
    assert client.get("/invoices/30001/pdf/").status_code == 404
    assert client.get("/invoices/statement/pdf/").status_code == 404


def test_when_the_configuration_cannot_be_read_invoices_show_but_pay_does_not(
    client, sandbox, member, paying
) -> None:
    sandbox.app.knobs.update(fault="503", fault_path_prefix="/api/public/configuration")
    sign_in(client, member)
    listing = _page(client.get("/invoices/"))
    assert 'id="to-pay"' in listing  # fail open for reading
    assert "/pay/" not in listing  # fail closed for paying
    assert client.get("/invoices/30001/pay/")["Location"] == "/invoices/30001/"


def test_the_configuration_is_read_once_per_location_not_per_page(client, sandbox, member):
    sign_in(client, member)
    for path in ("/", "/invoices/", "/invoices/30001/"):
        client.get(path)
    assert len(sandbox.app.calls("/api/public/configuration")) == 1


# --- the space's own look -----------------------------------------------------------------------


def test_the_header_and_sign_in_wear_the_locations_name_and_colour(client, sandbox, member):
    sign_in(client, member)
    page = _page(client.get("/"))
    assert 'class="brand" href="/">Harbour Works London</a>' in page
    assert 'href="/brand.css?v=1f5f8b"' in page
    css = Client().get("/brand.css?v=1f5f8b")
    assert "--primary: #1f5f8b" in css.content.decode()
    visitor = _page(Client().get("/login/"))
    assert "Harbour Works London" in visitor and 'href="/brand.css?v=1f5f8b"' in visitor


def test_an_invoice_from_another_location_keeps_the_members_space_in_the_header(
    signed_in_member, sandbox
):
    # 30011 was issued by Lisboa; the shell is still the member's own location.
    page = _page(signed_in_member.get("/invoices/30011/"))
    assert 'class="brand" href="/">Harbour Works London</a>' in page
    assert "<dt>Issued by</dt><dd>Harbour Works Lisboa</dd>" in page


def test_a_colour_that_fails_contrast_is_not_used(client, sandbox, member) -> None:
    sandbox.app.knobs.update(primary_color="#ffcc00")
    sign_in(client, member)
    page = _page(client.get("/"))
    assert "brand.css" not in page
    assert Client().get("/brand.css?v=ffcc00").content == b""
