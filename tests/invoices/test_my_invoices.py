"""My Invoices and the dashboard panel, signed in for real against the sandbox."""

from __future__ import annotations

import dataclasses
import html
import re
from datetime import timedelta
from decimal import Decimal

import pytest
from django.conf import settings as loaded_settings
from django.test import Client

from nexudus import copies
from sandbox.data import Invoice as SandboxInvoice
from tests.conftest import Person, sign_in
from web import formatting

pytestmark = pytest.mark.django_db

LIST = "/api/public/billing/invoices/my"
# NEXUDUS_TRUSTED_HOSTS as the settings read it when the environment does not set it.
DEFAULT_TRUSTED_HOSTS = list(loaded_settings.NEXUDUS_TRUSTED_HOSTS)


def _page(response) -> str:
    return response.content.decode()


def _group(page: str, name: str) -> str:
    """The HTML of one group's section ("to-pay" or "paid")."""
    start = page.index(f'<section id="{name}"')
    end = page.index("</section>", start)
    return page[start:end]


def _numbers(section: str) -> list[str]:
    """The invoice numbers of a section's rows, in order."""
    marker = '<th scope="row" class="number"><a href="'
    return [chunk.split(">", 1)[1].split("<")[0] for chunk in section.split(marker)[1:]]


def _main_rows(section: str) -> list[str]:
    """The rows of a section's first table (To pay itself, before Credit and Upcoming)."""
    table = section[: section.index("</table>")] if "</table>" in section else ""
    return _numbers(table)


def _ada_invoices(sandbox) -> list[SandboxInvoice]:
    person = sandbox.app.data.person_by_email("ada@example.com")
    return sandbox.app.data.invoices_of(person.id)


def _today(sandbox):
    return formatting.location_today("Europe/London")


def _to_pay(invoices: list[SandboxInvoice]) -> list[SandboxInvoice]:
    return [
        i for i in invoices if not i.paid and not i.draft and not i.credit_note and i.due_amount > 0
    ]


def test_it_groups_invoices_into_to_pay_and_paid(signed_in_member: Client, sandbox) -> None:
    page = _page(signed_in_member.get("/invoices/"))
    to_pay, paid = _group(page, "to-pay"), _group(page, "paid")
    to_pay_rows = _main_rows(to_pay)
    for invoice in _ada_invoices(sandbox):
        if invoice.credit_note and invoice.paid:
            assert invoice.number not in page  # used credit: only with the switch on
        elif invoice.paid:
            assert invoice.number in paid and invoice.number not in to_pay
        elif invoice.draft or invoice.credit_note:
            # Upcoming drafts and open credit sit apart, never among the rows to pay.
            assert invoice.number in to_pay and invoice.number not in to_pay_rows
        else:
            assert invoice.number in to_pay_rows and invoice.number not in paid


def test_it_words_overdue_unpaid_draft_and_paid_rows(signed_in_member, sandbox) -> None:
    page = _page(signed_in_member.get("/invoices/"))
    today = _today(sandbox)
    for invoice in _ada_invoices(sandbox):
        if invoice.credit_note and invoice.paid:
            continue
        row = page[page.index(invoice.number) :]
        row = row[: row.index("</tr>")]
        days = (invoice.due_date.date() - today).days
        if invoice.credit_note:
            assert ">Credit note<" in row
        elif invoice.draft:
            assert ">Draft<" in row
        elif invoice.paid:
            assert ">Paid<" in row
            assert formatting.format_day(invoice.paid_on, "en-GB") in row
        elif days < 0:
            assert f"Overdue by {-days} day" in row
        elif days == 0:
            assert ">Due today<" in row
        else:
            assert f"Due in {days} day" in row
        if (
            not invoice.paid
            and not invoice.credit_note
            and 0 < invoice.due_amount < invoice.total_amount
        ):
            assert ">Partially paid<" in row


def test_it_totals_what_is_owed_per_currency_never_across(signed_in_member, sandbox) -> None:
    expected: dict[str, Decimal] = {}
    for invoice in _to_pay(_ada_invoices(sandbox)):
        currency = sandbox.app.data.locations[invoice.location_id].currency_code
        expected[currency] = expected.get(currency, Decimal(0)) + invoice.due_amount
    assert set(expected) == {"GBP", "EUR"}

    to_pay = _group(_page(signed_in_member.get("/invoices/")), "to-pay")
    summary = to_pay[to_pay.index('class="money-summary"') : to_pay.index("</dl>")]
    total_to_pay = summary[: summary.index("</dd>")]
    for currency, amount in expected.items():
        assert formatting.format_money(amount, currency, "en-GB") in total_to_pay
    assert total_to_pay.count('class="amount"') == 2


def test_credit_notes_appear_only_when_switched_on(signed_in_member, sandbox) -> None:
    used = [i for i in _ada_invoices(sandbox) if i.credit_note and i.paid]
    assert used
    off = _page(signed_in_member.get("/invoices/"))
    on = _page(signed_in_member.get("/invoices/?credit_notes=1"))
    for note in used:
        assert note.number not in off
        assert note.number in _group(on, "paid")
    credit_notes = [i for i in _ada_invoices(sandbox) if i.credit_note]
    assert on.count(">Credit note<") == len(credit_notes)
    assert 'id="credit_notes" name="credit_notes" value="1" checked' in on
    # The unpaid set always includes credit notes (they are the member's credit); the paid
    # group follows the switch. Two groups twice, and the years' two probes once.
    paid_flags = [e.query.get("creditNotes") for e in sandbox.app.calls(LIST)]
    assert paid_flags == [1] * 6


def test_a_long_history_pages_on_the_server(client: Client, sandbox, busy_member) -> None:
    sign_in(client, busy_member)
    first = _group(_page(client.get("/invoices/")), "paid")
    second_page = client.get("/invoices/?paid_page=2")
    second = _group(_page(second_page), "paid")
    assert "1–20 of " in first and "21–40 of " in second
    assert 'rel="prev" href="?#paid"' in second
    assert 'rel="next" href="?paid_page=3#paid"' in second
    assert 'aria-current="page" href="?paid_page=2#paid">2<' in second
    first_numbers = set(_numbers(first))
    assert first_numbers and first_numbers.isdisjoint(_numbers(second))
    pages = [e.query for e in sandbox.app.calls(LIST)]
    assert all("page" in query and "size" in query for query in pages)

    paid_total = sum(1 for i in _busy(sandbox) if i.paid and not i.credit_note)
    total_pages = -(-paid_total // 20)
    assert f"of {paid_total:,}" in second
    last = _group(_page(client.get(f"/invoices/?paid_page={total_pages}")), "paid")
    assert 'rel="next"' not in last
    assert f">{total_pages:,}</a>" in last


def _busy(sandbox) -> list[SandboxInvoice]:
    person = sandbox.app.data.person_by_email("busy@example.com")
    return sandbox.app.data.invoices_of(person.id)


@pytest.mark.parametrize("raw", ["abc", "-3", "0", "1e9", "99999999999"])
def test_odd_page_numbers_never_break_the_page(signed_in_member, raw) -> None:
    response = signed_in_member.get(f"/invoices/?paid_page={raw}", follow=True)
    assert response.status_code == 200
    assert response.redirect_chain and response.redirect_chain[-1][0] == "/invoices/"


def test_a_page_past_the_end_answers_with_the_last_page_and_its_address(
    client, sandbox, busy_member
) -> None:
    sign_in(client, busy_member)
    paid_total = sum(1 for i in _busy(sandbox) if i.paid)  # credit notes included: switch on
    last = -(-paid_total // 20)
    response = client.get("/invoices/?paid_page=10000&credit_notes=1")
    assert response.status_code == 302
    assert response["Location"] == f"/invoices/?credit_notes=1&paid_page={last}"
    page = _page(client.get(response["Location"]))
    assert f'aria-current="page" href="?credit_notes=1&amp;paid_page={last}#paid"' in page

    fragment = client.get(
        "/invoices/?paid_page=10000", HTTP_HX_REQUEST="true", HTTP_HX_TARGET="paid"
    )
    assert fragment.status_code == 200
    assert fragment["HX-Push-Url"] == f"/invoices/?paid_page={last}"
    assert _page(fragment).lstrip().startswith('<section id="paid"')
    assert f'aria-current="page" href="?paid_page={last}#paid"' in _page(fragment)


@pytest.mark.parametrize("raw", ["-1", "0", "junk"])
def test_a_page_below_one_or_junk_answers_with_the_first_page(client, sandbox, busy_member, raw):
    sign_in(client, busy_member)
    response = client.get(f"/invoices/?paid_page={raw}&credit_notes=1")
    assert response.status_code == 302
    assert response["Location"] == "/invoices/?credit_notes=1"
    fragment = client.get(
        f"/invoices/?paid_page={raw}", HTTP_HX_REQUEST="true", HTTP_HX_TARGET="paid"
    )
    assert fragment["HX-Push-Url"] == "/invoices/"
    assert 'aria-current="page" href="?#paid">1<' in _page(fragment)


def test_an_empty_member_gets_useful_empty_states(client, sandbox, empty_member) -> None:
    sign_in(client, empty_member)
    page = _page(client.get("/invoices/"))
    assert "Nothing to pay. You are all settled up." in page
    assert "No paid invoices yet" in page
    dashboard = _page(client.get("/"))
    assert "Unpaid invoices" not in dashboard
    assert "You have no invoices to pay." in dashboard


def test_the_page_still_renders_when_nexudus_is_down(signed_in_member, sandbox) -> None:
    sandbox.app.knobs.update(fault="503", fault_path_prefix=LIST)
    response = signed_in_member.get("/invoices/")
    page = _page(response)
    assert response.status_code == 200
    # One message box for the page, not one per group.
    assert page.count('class="alert alert-warning"') == 1
    assert "We could not load your invoices just now" in page
    assert page.count(">Try again</a>") == 1


def test_one_failing_group_does_not_take_the_other_down(
    signed_in_member, sandbox, monkeypatch
) -> None:
    # No last good copy to stand in, and the years offered learnt by a first view: the fault
    # falls on one of the groups' two calls (broken JSON is not retried), never on a probe.
    monkeypatch.setattr(copies, "STALE_SECONDS", -1)
    signed_in_member.get("/invoices/")
    sandbox.app.clear_log()
    sandbox.app.knobs.update(fault="malformed", fault_path_prefix=LIST, fault_times=1)
    page = _page(signed_in_member.get("/invoices/"))
    assert len(sandbox.app.calls(LIST)) == 2
    assert page.count("We could not load these invoices just now") == 1
    assert 'class="invoice-table"' in page


def test_an_htmx_page_turn_renders_only_that_group(client, sandbox, busy_member) -> None:
    sign_in(client, busy_member)
    sandbox.app.clear_log()
    response = client.get("/invoices/?paid_page=2", HTTP_HX_REQUEST="true", HTTP_HX_TARGET="paid")
    fragment = _page(response)
    assert fragment.lstrip().startswith('<section id="paid"')
    assert "<html" not in fragment and 'id="to-pay"' not in fragment
    assert 'data-announce="Paid, page 2 of' in fragment
    assert "HX-Request" in response["Vary"]
    assert len(sandbox.app.calls(LIST)) == 1

    full = client.get("/invoices/?paid_page=2")
    assert "<html" in _page(full)
    assert "HX-Request" in full["Vary"]


def test_the_credit_note_switch_swaps_both_groups_for_htmx(signed_in_member) -> None:
    response = signed_in_member.get(
        "/invoices/?credit_notes=1", HTTP_HX_REQUEST="true", HTTP_HX_TARGET="invoice-groups"
    )
    fragment = _page(response)
    assert fragment.lstrip().startswith('<div id="invoice-groups"')
    assert 'id="to-pay"' in fragment and 'id="paid"' in fragment
    assert "<html" not in fragment


def test_my_invoices_costs_one_call_per_group_made_side_by_side(signed_in_member, sandbox) -> None:
    sandbox.app.knobs.update(latency_ms=300, fault_path_prefix=LIST)
    sandbox.app.clear_log()
    signed_in_member.get("/invoices/")
    calls = sandbox.app.calls(LIST)
    # One per group, and on a first visit the two one-record probes for the years to pick.
    assert len(calls) == 4
    assert sandbox.app.calls("/api/auth/media") == []
    assert len(sandbox.app.log) == 4
    # Side by side: the last call started before the first one ended.
    first, *_, last = sorted(calls, key=lambda entry: entry.time)
    assert last.time < first.time + timedelta(milliseconds=first.duration_ms)
    # The years are kept a while: the next view costs one call per group.
    sandbox.app.clear_log()
    signed_in_member.get("/invoices/")
    assert len(sandbox.app.calls(LIST)) == 2


def test_the_dashboard_adds_one_call_and_shows_the_most_urgent(signed_in_member, sandbox) -> None:
    sandbox.app.clear_log()
    page = _page(signed_in_member.get("/"))
    assert len(sandbox.app.log) == 1
    assert "Unpaid invoices" in page
    owed = _to_pay(_ada_invoices(sandbox))
    assert f"{len(owed)} invoices to pay" in page
    oldest = sorted(owed, key=lambda i: i.due_date)[:3]
    panel = page[page.index('class="urgent-list"') :]
    panel = panel[: panel.index("</ul>")]
    positions = [panel.index(invoice.number) for invoice in oldest]
    assert positions == sorted(positions)
    assert len(re.findall(r'href="/invoices/\d+/pdf/"', panel)) == 3
    assert len(re.findall(r'href="/invoices/\d+/"', panel)) == 3
    assert 'href="/invoices/"' in page


def test_the_dashboard_says_so_when_nexudus_fails(signed_in_member, sandbox) -> None:
    sandbox.app.knobs.update(fault="503", fault_path_prefix=LIST)
    response = signed_in_member.get("/")
    assert response.status_code == 200
    assert "We could not check your invoices just now" in _page(response)
    assert "Hello, Ada Lovelace" in _page(response)


def test_every_upstream_string_is_escaped(client, sandbox, member) -> None:
    hostile = "<script>alert(1)</script>\"'&"
    data = sandbox.app.data
    victim = _to_pay(_ada_invoices(sandbox))[0]
    data.invoices[victim.id] = dataclasses.replace(victim, number=hostile)
    ada = data.person_by_email(member.email)
    ada.full_name = hostile
    home = data.locations[ada.home_location_id]
    data.locations[home.id] = dataclasses.replace(home, name=hostile)

    sign_in(client, member)
    pages = [
        client.get("/"),
        client.get("/invoices/"),
        client.get("/invoices/", HTTP_HX_REQUEST="true", HTTP_HX_TARGET="to-pay"),
        client.get("/invoices/", HTTP_HX_REQUEST="true", HTTP_HX_TARGET="invoice-groups"),
    ]
    for response in pages:
        body = _page(response)
        assert "<script>alert(1)</script>" not in body
        assert html.escape(hostile) in body or "&lt;script&gt;alert(1)&lt;/script&gt;" in body


def test_pdf_links_on_the_page_are_ours_and_carry_no_token(signed_in_member, sandbox) -> None:
    page = _page(signed_in_member.get("/invoices/"))
    assert "/invoices/30001/pdf/" in page
    assert "?t=" not in page and "/api/public/billing" not in page


def _download(client: Client, invoice_id: int):
    import requests

    response = client.get(f"/invoices/{invoice_id}/pdf/")
    assert response.status_code == 302, _page(response)
    return response, requests.get(response["Location"], timeout=10)


def test_a_pdf_link_mints_a_fresh_link_and_downloads(signed_in_member, sandbox) -> None:
    response, document = _download(signed_in_member, 30001)
    assert document.content.startswith(b"%PDF")
    assert "no-store" in response["Cache-Control"]
    assert response["Referrer-Policy"] == "no-referrer"


def test_a_pdf_link_clicked_hours_after_the_page_still_downloads(signed_in_member, sandbox) -> None:
    signed_in_member.get("/invoices/")
    sandbox.app.clock.advance(3 * 3600)
    _, document = _download(signed_in_member, 30001)
    assert document.content.startswith(b"%PDF")


def test_a_second_click_after_a_minute_gets_a_new_token(signed_in_member, sandbox) -> None:
    import time_machine

    first, _ = _download(signed_in_member, 30001)
    with time_machine.travel(timedelta(seconds=61), tick=True):
        sandbox.app.clock.advance(61)
        second, document = _download(signed_in_member, 30001)
    assert document.content.startswith(b"%PDF")
    assert first["Location"] != second["Location"]


def test_repeated_downloads_reuse_the_media_token_for_a_while(signed_in_member, sandbox) -> None:
    sandbox.app.clear_log()
    _download(signed_in_member, 30001)
    _download(signed_in_member, 30005)
    assert len(sandbox.app.calls("/api/auth/media/customer")) == 1


def test_media_tokens_never_cross_members(signed_in_member, sandbox, two_factor_member) -> None:
    first, _ = _download(signed_in_member, 30001)
    grace = Client()
    grace.post("/login/", {"email": two_factor_member.email, "password": "demo-pass-1"})
    grace.post("/login/", {"totp": "123456"})
    graces_invoice = sandbox.app.data.invoices_of(
        sandbox.app.data.person_by_email(two_factor_member.email).id
    )[0]
    second, document = _download(grace, graces_invoice.id)
    assert document.content.startswith(b"%PDF")
    ada_token = first["Location"].split("t=")[1]
    assert ada_token not in second["Location"]
    assert len(sandbox.app.calls("/api/auth/media/customer")) == 2


def test_someone_elses_invoice_is_a_404_and_mints_nothing(client, sandbox, two_factor_member):
    client.post("/login/", {"email": two_factor_member.email, "password": "demo-pass-1"})
    client.post("/login/", {"totp": "123456"})
    sandbox.app.clear_log()
    for invoice_id in (30001, 30002, 999_999):
        response = client.get(f"/invoices/{invoice_id}/pdf/")
        assert response.status_code == 404
        assert "We could not find that page" in _page(response)
    assert sandbox.app.calls("/api/auth/media/customer") == []


def test_an_untrusted_business_web_address_falls_back_to_the_api_host(
    signed_in_member, sandbox, settings
) -> None:
    ada = sandbox.app.data.person_by_email("ada@example.com")
    lisboa = next(i for i in _ada_invoices(sandbox) if i.location_id != ada.home_location_id)
    trusted, _ = _download(signed_in_member, lisboa.id)
    assert trusted["Location"].startswith(f"http://localhost:{sandbox.port}/")

    settings.NEXUDUS_TRUSTED_HOSTS = [sandbox.url.split("://")[1]]
    untrusted, document = _download(signed_in_member, lisboa.id)
    assert untrusted["Location"].startswith(f"{sandbox.url}/api/public/billing/invoices/")
    assert document.content.startswith(b"%PDF")


def test_a_download_while_nexudus_is_down_gets_a_clear_page(signed_in_member, sandbox) -> None:
    sandbox.app.knobs.update(fault="503")
    response = signed_in_member.get("/invoices/30001/pdf/")
    assert response.status_code == 503
    assert "We could not prepare your download" in _page(response)
    assert 'href="/invoices/30001/pdf/"' in _page(response)


def test_the_statement_downloads(signed_in_member, sandbox) -> None:
    import requests

    response = signed_in_member.get("/invoices/statement/pdf/")
    assert response.status_code == 302
    assert requests.get(response["Location"], timeout=10).content.startswith(b"%PDF")


def test_pages_need_a_signed_in_member(client: Client, sandbox) -> None:
    for path in ("/invoices/", "/invoices/30001/pdf/", "/invoices/statement/pdf/"):
        response = client.get(path)
        assert response.status_code == 302
        assert response["Location"].startswith("/login/?next=")


def test_the_pdf_redirect_never_reaches_our_logs(signed_in_member, sandbox, caplog) -> None:
    import logging

    caplog.set_level(logging.DEBUG)
    response, _ = _download(signed_in_member, 30001)
    token = response["Location"].split("t=")[1]
    assert token not in "\n".join(record.getMessage() for record in caplog.records)


def test_the_person_fixture_matches_the_sandbox(member: Person, sandbox) -> None:
    assert sandbox.app.data.person_by_email(member.email).full_name == member.full_name


def test_sign_in_learns_the_hosts_of_the_members_own_locations(signed_in_member, sandbox):
    from members.session import MEMBER_KEY

    host = sandbox.url.split("://")[1]
    session = signed_in_member.session
    assert session[MEMBER_KEY]["trusted_hosts"] == [host]


def test_by_default_a_pdf_link_to_another_tenant_goes_to_the_api_host(
    signed_in_member, sandbox, settings, monkeypatch
) -> None:
    # Ada's Lisboa invoices now name a Nexudus host that is not one of her locations.
    monkeypatch.setattr(
        "sandbox.invoices.web_address",
        lambda location_id, host, home: host if location_id == home else "other.spaces.nexudus.com",
    )
    settings.NEXUDUS_TRUSTED_HOSTS = DEFAULT_TRUSTED_HOSTS
    ada = sandbox.app.data.person_by_email("ada@example.com")
    lisboa = next(i for i in _ada_invoices(sandbox) if i.location_id != ada.home_location_id)
    london = next(
        i for i in _ada_invoices(sandbox) if i.location_id == ada.home_location_id and not i.draft
    )
    elsewhere, _ = _download(signed_in_member, lisboa.id)
    home, _ = _download(signed_in_member, london.id)
    assert elsewhere["Location"].startswith(f"{sandbox.url}/api/public/billing/invoices/")
    assert home["Location"].startswith(f"{sandbox.url}/api/public/billing/invoices/")
