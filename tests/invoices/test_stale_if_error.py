"""Issue 14: when Nexudus fails, a member sees their last good data, as of when, and a retry."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
import time_machine
from django.core.cache import cache
from django.test import Client

from tests.conftest import sign_in

pytestmark = pytest.mark.django_db

AS_OF = re.compile(r"Showing (your invoices|this invoice) as of (\d{1,2}:\d{2})")


def _page(response) -> str:
    return response.content.decode()


def _numbers(page: str) -> list[str]:
    return re.findall(r'href="/invoices/\d+/">([^<]+)</a>', page)


def _billing_down(sandbox) -> None:
    sandbox.app.knobs.update(fault="503", fault_path_prefix="/api/public/billing")


def test_my_invoices_shows_the_last_good_list_as_of_when_with_a_retry(
    signed_in_member, sandbox
) -> None:
    good = _page(signed_in_member.get("/invoices/"))
    _billing_down(sandbox)
    response = signed_in_member.get("/invoices/")
    stale = _page(response)
    assert response.status_code == 200
    assert AS_OF.search(stale), stale[:3000]
    assert "Nexudus is not answering" in stale
    assert "paying need Nexudus" in stale
    assert 'href="/invoices/">Try again</a>' in stale or "Try again" in stale
    assert _numbers(stale) == _numbers(good) and _numbers(good)
    # The totals a member sees agree with the copy's rows, as they did live.
    assert re.findall(r'class="amount">([^<]+)<', stale) == re.findall(
        r'class="amount">([^<]+)<', good
    )


def test_the_panel_shows_the_last_good_count_as_of_when(signed_in_member, sandbox) -> None:
    good = _page(signed_in_member.get("/"))
    count = re.search(r"(\d+) invoices to pay", good).group(1)
    _billing_down(sandbox)
    stale = _page(signed_in_member.get("/"))
    assert f"{count} invoices to pay" in stale
    assert AS_OF.search(stale)
    assert "We could not check your invoices" not in stale


def test_the_invoice_page_shows_the_last_good_copy(signed_in_member, sandbox) -> None:
    good = _page(signed_in_member.get("/invoices/30001/"))
    _billing_down(sandbox)
    response = signed_in_member.get("/invoices/30001/")
    stale = _page(response)
    assert response.status_code == 200
    assert AS_OF.search(stale).group(1) == "this invoice"
    number = sandbox.app.data.invoices[30001].number
    assert number in good and number in stale


def test_pdf_and_pay_say_plainly_that_they_need_nexudus(signed_in_member, sandbox, settings):
    settings.NEXUDUS_PAY_URL = "http://{web_address}/invoices/{invoice_unique_id}/pay"
    signed_in_member.get("/invoices/")
    _billing_down(sandbox)
    pdf = signed_in_member.get("/invoices/30001/pdf/")
    pay = signed_in_member.get("/invoices/30001/pay/")
    assert pdf.status_code == pay.status_code == 503
    assert "We could not" in _page(pdf) and "We could not" in _page(pay)


def test_without_a_good_copy_the_page_says_nexudus_failed(signed_in_member, sandbox) -> None:
    _billing_down(sandbox)
    page = _page(signed_in_member.get("/invoices/"))
    assert "We could not load your invoices just now" in page
    assert not AS_OF.search(page)


def test_a_copy_more_than_a_day_old_is_not_shown(signed_in_member, sandbox) -> None:
    signed_in_member.get("/invoices/")
    _billing_down(sandbox)
    with time_machine.travel(timedelta(hours=25), tick=False):
        page = _page(signed_in_member.get("/invoices/"))
    assert "We could not load your invoices just now" in page
    assert not AS_OF.search(page)


def test_another_member_never_sees_someone_elses_copy(
    signed_in_member, sandbox, empty_member
) -> None:
    ada = _page(signed_in_member.get("/invoices/"))
    other = Client()
    sign_in(other, empty_member)
    _billing_down(sandbox)
    page = _page(other.get("/invoices/"))
    assert not AS_OF.search(page)
    assert not set(_numbers(ada)) & set(_numbers(page))


def test_a_live_answer_replaces_the_copy_and_the_notice_goes(signed_in_member, sandbox) -> None:
    signed_in_member.get("/invoices/")
    _billing_down(sandbox)
    assert AS_OF.search(_page(signed_in_member.get("/invoices/")))
    sandbox.app.knobs.reset()
    assert not AS_OF.search(_page(signed_in_member.get("/invoices/")))


def test_the_copies_in_the_cache_name_no_one_and_say_nothing_readable(
    signed_in_member, sandbox, member
) -> None:
    signed_in_member.get("/invoices/")
    signed_in_member.get("/invoices/30001/")
    number = sandbox.app.data.invoices[30001].number.encode()
    stored = cache._cache  # the local-memory cache's own dict: keys and pickled values
    assert stored
    for key, value in stored.items():
        raw = key.encode() + (value if isinstance(value, bytes) else repr(value).encode())
        assert number not in raw
        assert member.email.encode() not in raw
        assert b"Ada" not in raw


def test_an_htmx_page_turn_on_stale_data_says_so_in_the_group(busy_client, sandbox) -> None:
    busy_client.get("/invoices/?paid_page=2")
    _billing_down(sandbox)
    fragment = _page(
        busy_client.get("/invoices/?paid_page=2", HTTP_HX_REQUEST="true", HTTP_HX_TARGET="paid")
    )
    assert fragment.startswith('<section id="paid"')
    assert AS_OF.search(fragment)


@pytest.fixture
def busy_client(client, sandbox, busy_member) -> Client:
    sign_in(client, busy_member)
    return client


def test_a_group_that_cannot_load_offers_a_retry_that_reloads_without_javascript(
    busy_client, sandbox
) -> None:
    """A link that differs from the page's address only by its fragment does not reload it."""
    busy_client.get("/invoices/")
    _billing_down(sandbox)
    page = _page(busy_client.get("/invoices/?paid_page=9"))
    paid = page[page.index('<section id="paid"') :]
    retry = re.search(r'<a class="button button-secondary" href="([^"]*)"', paid).group(1)
    assert "We could not load these invoices just now" in paid
    assert retry == "?paid_page=9"
