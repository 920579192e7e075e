"""Staff preview: every state for staff, nothing for anyone else, nothing sent anywhere."""

from __future__ import annotations

import logging
import re

import pytest
from django.contrib.auth import get_user_model
from django.contrib.sessions.models import Session
from django.core.management import CommandError, call_command
from django.test import Client

from preview.registry import STATES
from tests.conftest import sign_in

pytestmark = pytest.mark.django_db

STATE_URLS = [f"/preview/{state.page}/{state.key}/" for state in STATES]


@pytest.fixture
def staff() -> Client:
    user = get_user_model().objects.create_user("pat", password="pw-for-tests", is_staff=True)
    browser = Client()
    browser.force_login(user)
    return browser


def _page(response) -> str:
    return response.content.decode()


def test_the_index_lists_every_state_with_desktop_and_phone_links(staff: Client) -> None:
    page = _page(staff.get("/preview/"))
    for url in STATE_URLS:
        assert f'href="{url}"' in page
        assert f'href="{url}phone/"' in page


def test_every_state_answers_200_to_staff_without_calling_nexudus(staff, sandbox) -> None:
    sessions_before = Session.objects.count()
    for url in STATE_URLS:
        response = staff.get(url)
        assert response.status_code == 200, url
        assert "Preview</strong>" in _page(response), url
    assert sandbox.app.log == []
    assert Session.objects.count() == sessions_before


@pytest.mark.parametrize(
    "url, text",
    [
        ("/preview/dashboard/overdue/", "Overdue by"),
        ("/preview/dashboard/nothing-unpaid/", "You have no invoices to pay."),
        ("/preview/dashboard/nexudus-down/", "We could not check your invoices just now"),
        ("/preview/invoices/empty/", "Nothing to pay. You are all settled up."),
        ("/preview/invoices/two-currencies/", "€1,474.35"),
        ("/preview/invoices/two-currencies/", "€55.35"),
        ("/preview/invoices/credit-notes/", ">Credit note<"),
        ("/preview/invoices/credit-notes/", ">Draft<"),
        ("/preview/invoices/long-history/", "41–60 of"),
        ("/preview/invoices/year/", "21–40 of"),
        ("/preview/invoices/year/", "for your whole account, all years"),
        ("/preview/invoices/empty-search/", "No invoice number contains “zz9” in any year."),
        ("/preview/invoices/empty-search/", ">Clear the search</a>"),
        ("/preview/invoices/nexudus-down/", "We could not load your invoices just now"),
        ("/preview/sign-in/wrong-password/", "do not match an account here"),
        ("/preview/sign-in/two-factor/", 'name="totp"'),
        ("/preview/sign-in/must-reset/", "Please choose a new password"),
        ("/preview/checkout/stripe/", "Your payment went through"),
        ("/preview/checkout/spreedly/", "Your payment went through"),
        ("/preview/checkout/paypal/", "Your payment went through"),
        ("/preview/checkout/member/", "You are signed in as <strong>Ada Lovelace</strong>"),
        ("/preview/checkout/failed/", "We could not create your account just now"),
        ("/preview/checkout/rejected/", "We could not find this purchase"),
        ("/preview/checkout/signed-in/", "you are signed in"),
        ("/preview/errors/404/", "We could not find that page"),
        ("/preview/errors/500/", "Something went wrong on our side"),
    ],
)
def test_each_state_shows_what_it_says(staff, url, text) -> None:
    response = staff.get(url)
    assert text in _page(response)


def test_the_page_status_is_kept_for_reference(staff) -> None:
    assert staff.get("/preview/errors/404/")["X-Preview-Status"] == "404"
    assert staff.get("/preview/checkout/bad-link/")["X-Preview-Status"] == "400"


def test_pdf_links_in_previews_download_samples_never_a_members_document(staff) -> None:
    links = set()
    for url in STATE_URLS:
        page = _page(staff.get(url))
        assert not re.search(r'href="/invoices/\d+/pdf/"', page), url
        assert "pdfByToken" not in page and "?t=" not in page, url
        links |= set(re.findall(r'href="(/preview/sample/[^"]+)"', page))
    assert any("statement" in link for link in links)
    assert any("/guest/" in link for link in links)
    for link in [*sorted(links)[:6], next(link for link in links if "/guest/" in link)]:
        response = staff.get(link)
        assert response.status_code == 200, link
        assert response.content.startswith(b"%PDF"), link


def test_a_sample_pdf_of_someone_else_or_nothing_is_a_404(staff) -> None:
    assert staff.get("/preview/sample/nobody/30001.pdf").status_code == 404
    assert staff.get("/preview/sample/grace/30001.pdf").status_code == 404
    assert staff.get("/preview/sample/guest/123.pdf").status_code == 404


def test_anonymous_visitors_go_to_the_staff_sign_in(client: Client) -> None:
    for url in ["/preview/", STATE_URLS[0], f"{STATE_URLS[0]}phone/"]:
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"].startswith("/admin/login/?next=")


def test_signed_in_members_get_a_404(client, sandbox, member) -> None:
    sign_in(client, member)
    for url in ["/preview/", STATE_URLS[0], "/preview/sample/ada/30001.pdf"]:
        assert client.get(url).status_code == 404


def test_users_who_are_not_staff_get_a_404() -> None:
    user = get_user_model().objects.create_user("sam", password="pw-for-tests")
    browser = Client()
    browser.force_login(user)
    assert browser.get("/preview/").status_code == 404


@pytest.mark.parametrize("url", ["/preview/", STATE_URLS[0], f"{STATE_URLS[0]}phone/"])
def test_no_post_is_accepted(staff, url) -> None:
    assert staff.post(url).status_code == 405


def test_previews_are_private_uncached_and_not_indexed(staff) -> None:
    for url in ["/preview/", STATE_URLS[0], f"{STATE_URLS[0]}phone/"]:
        response = staff.get(url)
        assert "private" in response["Cache-Control"]
        assert "no-store" in response["Cache-Control"]
        assert "noindex" in response["X-Robots-Tag"]


def test_only_the_state_page_may_be_framed_and_it_can_send_nothing(staff, client) -> None:
    shown = staff.get(STATE_URLS[0])
    policy = shown["Content-Security-Policy"]
    assert "frame-ancestors 'self'" in policy
    assert "form-action 'none'" in policy
    assert "connect-src 'none'" in policy
    assert shown["X-Frame-Options"] == "SAMEORIGIN"

    phone = staff.get(f"{STATE_URLS[0]}phone/")
    assert "frame-src 'self'" in phone["Content-Security-Policy"]
    assert "frame-ancestors 'none'" in phone["Content-Security-Policy"]
    assert phone["X-Frame-Options"] == "DENY"
    assert f'<iframe src="{STATE_URLS[0]}"' in _page(phone)
    for url in ["/preview/", "/login/", "/healthz"]:
        assert "frame-ancestors 'none'" in staff.get(url)["Content-Security-Policy"]


def test_each_preview_is_logged_with_the_staff_member(staff, caplog) -> None:
    caplog.set_level(logging.INFO, logger="preview")
    staff.get("/preview/invoices/typical/")
    user = get_user_model().objects.get(username="pat")
    assert f"staff {user.pk} previewed invoices/typical" in caplog.text


def test_unknown_states_are_404(staff) -> None:
    assert staff.get("/preview/invoices/nope/").status_code == 404


def test_the_demo_staff_account_exists_only_beside_the_sandbox(settings) -> None:
    settings.NEXUDUS_BASE_URL = "https://myspace.spaces.nexudus.com"
    with pytest.raises(CommandError):
        call_command("create_demo_staff")
    assert not get_user_model().objects.filter(username="staff").exists()

    settings.NEXUDUS_BASE_URL = "http://127.0.0.1:8001"
    call_command("create_demo_staff")
    demo = get_user_model().objects.get(username="staff")
    assert demo.is_staff and demo.check_password("demo-pass-1")
