"""The guest checkout-complete page, against the sandbox's seeded guest checkouts."""

from __future__ import annotations

import html
import logging
import re
import runpy
from pathlib import Path
from urllib.parse import parse_qs, quote, urlsplit

import pytest
import requests
from django.core.cache import cache
from django.template import Context, Template
from django.test import Client
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from checkout import pages, views
from nexudus import links
from sandbox.data import GUEST_CHECKOUTS
from web.logging import redact_query_strings

pytestmark = pytest.mark.django_db

PARAMETERS = {
    "stripe": "stripe_session_id",
    "spreedly": "spreedly_session_id",
    "paypal": "paypal_session_id",
}
NAMES = {"stripe": "Stripe", "spreedly": "Spreedly", "paypal": "PayPal"}
REGISTER = "/registerByToken"


def _url(gateway: str, invoice_id: int | None = None, session_id: str | None = None) -> str:
    seeded_invoice, seeded_session, _ = GUEST_CHECKOUTS[gateway]
    invoice = seeded_invoice if invoice_id is None else invoice_id
    token = seeded_session if session_id is None else session_id
    return f"/checkout/complete/{invoice}/?{PARAMETERS[gateway]}={quote(token, safe='')}"


def _page(response) -> str:
    return response.content.decode()


def _assert_secret_page_headers(response) -> None:
    assert response["Referrer-Policy"] == "no-referrer"
    assert "no-store" in response["Cache-Control"]
    assert "noindex" in response["X-Robots-Tag"]


@pytest.mark.parametrize("gateway", sorted(GUEST_CHECKOUTS))
def test_a_guest_lands_and_downloads_the_invoice(client: Client, sandbox, gateway: str) -> None:
    invoice_id, session_id, _ = GUEST_CHECKOUTS[gateway]
    response = client.get(_url(gateway))
    page = _page(response)
    assert response.status_code == 200
    assert "Thank you for your purchase" in page
    # Issue 11: "your payment", the space's name in the header, never the gateway vendor.
    assert "Your payment went through" in page
    assert NAMES[gateway] not in page
    assert 'class="brand" href="/">Harbour Works London</a>' in page
    assert f"Invoice {invoice_id}" not in page  # an internal id is no name for an invoice
    assert "Create your account" in page
    _assert_secret_page_headers(response)

    link = page.split('class="button" href="')[1].split('"')[0].replace("&amp;", "&")
    parts = urlsplit(link)
    assert parts.path == f"/api/public/billing/invoices/{invoice_id}/pdfByToken"
    assert parse_qs(parts.query) == {"token": [session_id]}
    assert requests.get(link, timeout=10).content.startswith(b"%PDF")


def test_the_page_never_claims_payment_from_the_url_alone(client, sandbox) -> None:
    page = _page(client.get(_url("stripe")))
    assert "payment received" not in page.lower()
    assert "paid" not in page.lower().replace("paid with", "")


def test_the_page_loads_nothing_from_another_origin(client, sandbox) -> None:
    page = _page(client.get(_url("stripe")))
    assert 'src="http' not in page
    assert '<link rel="stylesheet" href="/static/' in page
    assert "default-src 'none'" in client.get(_url("stripe"))["Content-Security-Policy"]


@pytest.mark.parametrize(
    "path",
    [
        "/checkout/complete/39001/",
        "/checkout/complete/39001/?utm_source=mail",
        "/checkout/complete/39001/?stripe_session_id=",
        "/checkout/complete/39001/?stripe_session_id=cs_test_abc&stripe_session_id=cs_test_abcdefghijkl",
        "/checkout/complete/39001/?stripe_session_id=cs_test_abcdefghijkl&paypal_session_id=6K8CY3KUHR05RRM3I",
        "/checkout/complete/39001/?stripe_session_id=6K8CY3KUHR05RRM3I",
        "/checkout/complete/39001/?paypal_session_id=cs_test_abcdefghijkl",
        "/checkout/complete/39001/?spreedly_session_id=short",
        "/checkout/complete/39001/?paypal_session_id=lowercase0000000",
        "/checkout/complete/0/?stripe_session_id=cs_test_abcdefghijkl",
        "/checkout/complete/99999999999999/?stripe_session_id=cs_test_abcdefghijkl",
    ],
)
def test_malformed_links_get_a_styled_400_and_no_upstream_call(client, sandbox, path) -> None:
    response = client.get(path)
    assert response.status_code == 400
    assert "This link does not look right" in _page(response)
    assert sandbox.app.log == []
    _assert_secret_page_headers(response)


@pytest.mark.parametrize("invoice", ["abc", "-1", "1.5", "%F0%9F%92%A9", "39001x"])
def test_an_invoice_id_that_is_not_a_positive_integer_is_a_404(client, sandbox, invoice) -> None:
    response = client.get(f"/checkout/complete/{invoice}/?stripe_session_id=cs_test_abcdefghijkl")
    assert response.status_code == 404
    assert "We could not find that page" in _page(response)


def test_a_token_nexudus_does_not_know_gets_a_helpful_404(client, sandbox) -> None:
    response = client.get(_url("stripe", session_id="cs_test_" + "Z" * 58))
    page = _page(response)
    assert response.status_code == 404
    assert "We could not find this purchase" in page
    assert "contact your space" in page
    assert "pdfByToken" not in page
    _assert_secret_page_headers(response)


def test_a_token_for_another_invoice_gets_the_same_404(client, sandbox) -> None:
    other_invoice, _, _ = GUEST_CHECKOUTS["paypal"]
    response = client.get(_url("stripe", invoice_id=other_invoice))
    assert response.status_code == 404
    assert "We could not find this purchase" in _page(response)


@pytest.mark.parametrize("fault", ["500", "503", "malformed"])
def test_nexudus_failing_gets_a_retry_not_a_500(client, sandbox, fault) -> None:
    sandbox.app.knobs.update(fault=fault)
    response = client.get(_url("spreedly"))
    assert response.status_code == 503
    assert "We could not check your purchase just now" in _page(response)
    assert '<a class="button" href="">Try again</a>' in _page(response)
    _assert_secret_page_headers(response)


def test_nexudus_timing_out_gets_a_retry(client, sandbox) -> None:
    sandbox.app.knobs.update(latency_ms=5000)
    response = client.get(_url("paypal"))
    assert response.status_code == 503


def test_ten_reloads_cost_no_upstream_writes(client, sandbox) -> None:
    for _ in range(10):
        assert client.get(_url("stripe")).status_code == 200
    assert sandbox.app.writes() == []
    assert len(sandbox.app.calls("/api/public/billing/invoices/39001/pdfByToken")) == 1


def test_creating_the_account_works_once_and_says_so_the_second_time(client, sandbox) -> None:
    client.get(_url("paypal"))
    created = client.post(_url("paypal"))
    # Post/Redirect/Get: the new state is the page's own GET, without the secret in its address.
    assert created.status_code == 303
    assert created["Location"] == "/checkout/complete/39003/"
    shown = _page(client.get(created["Location"]))
    assert "Your account is ready, and you are signed in." in shown
    assert "Sign out" in shown
    again = client.post(_url("paypal"))
    assert again.status_code == 303
    assert len([e for e in sandbox.app.writes() if e.path.endswith(REGISTER)]) == 1
    # A reload shows the signed-in state, never "Go to sign in".
    reloaded = _page(client.get(created["Location"]))
    assert "Your account is ready, and you are signed in." in reloaded
    assert "Go to sign in" not in reloaded and "Create your account" not in reloaded


def test_the_new_customer_is_signed_in_and_finds_the_invoice(client, sandbox) -> None:
    invoice_id, _, email = GUEST_CHECKOUTS["stripe"]
    client.post(_url("stripe"))
    guest = sandbox.app.data.person_by_email(email)
    assert f"Hello, {guest.full_name}" in _page(client.get("/"))
    assert f"/invoices/{invoice_id}/pdf/" in _page(client.get("/invoices/"))


def test_when_nexudus_will_not_sign_them_in_the_page_says_how_to(client, sandbox) -> None:
    sandbox.app.knobs.update(fault="500", fault_path_prefix="/api/sys/users/exchange")
    response = client.post(_url("spreedly"))
    assert response.status_code == 303
    page = _page(client.get(response["Location"]))
    assert "Your account is ready." in page
    assert "Forgotten your password?" in page
    assert 'href="/login/"' in page
    assert client.get("/").status_code == 302


def test_a_repeat_from_another_browser_is_harmless_too(sandbox) -> None:
    for _ in range(2):
        assert Client().post(_url("stripe")).status_code == 303
    browser = Client()
    response = browser.post(_url("stripe"))
    assert "Your account is ready." in _page(browser.get(response["Location"]))
    assert len([e for e in sandbox.app.writes() if e.path.endswith(REGISTER)]) == 1


def test_registration_failing_upstream_keeps_the_button(client, sandbox) -> None:
    sandbox.app.knobs.update(
        fault="503", fault_path_prefix="/api/public/billing/invoices/39002/reg"
    )
    response = client.post(_url("spreedly"))
    assert response.status_code == 503
    assert "We could not create your account just now" in _page(response)
    assert "Create your account" in _page(response)


def test_registration_with_a_rejected_token_gets_the_helpful_page(client, sandbox) -> None:
    response = client.post(_url("stripe", session_id="cs_test_" + "Q" * 58))
    assert response.status_code == 404
    assert "We could not find this purchase" in _page(response)


def test_with_htmx_the_register_button_swaps_in_place(client, sandbox) -> None:
    # htmx follows the 303 and swaps in the page's #account-box (hx-select).
    page = _page(client.get(_url("stripe")))
    assert 'data-hx-select="#account-box"' in page and 'data-hx-target="#account-box"' in page
    response = client.post(_url("stripe"), HTTP_HX_REQUEST="true", follow=True)
    assert response.redirect_chain[0][1] == 303
    assert "Your account is ready, and you are signed in." in _page(response)


def test_with_htmx_a_failure_swaps_in_the_box_that_says_so(client, sandbox) -> None:
    sandbox.app.knobs.update(
        fault="503", fault_path_prefix="/api/public/billing/invoices/39001/reg"
    )
    response = client.post(_url("stripe"), HTTP_HX_REQUEST="true")
    fragment = _page(response)
    assert response.status_code == 200  # htmx swaps only 2xx answers
    assert fragment.lstrip().startswith('<section id="account-box"')
    assert "We could not create your account just now" in fragment


def test_registering_needs_a_csrf_token(sandbox) -> None:
    strict = Client(enforce_csrf_checks=True)
    assert strict.post(_url("stripe")).status_code == 403
    assert sandbox.app.writes() == []


def test_a_flood_from_one_address_is_slowed_down(client, sandbox) -> None:
    statuses = [
        client.get(_url("stripe")).status_code for _ in range(views.PER_CLIENT.max_count + 1)
    ]
    assert statuses[-1] == 429
    assert set(statuses[:-1]) == {200}


def test_the_session_id_never_reaches_a_log_line(client, sandbox, caplog) -> None:
    caplog.set_level(logging.DEBUG)
    secrets = []
    for gateway in sorted(GUEST_CHECKOUTS):
        secrets.append(GUEST_CHECKOUTS[gateway][1])
        client.get(_url(gateway))
        client.post(_url(gateway))
    client.get(_url("stripe", session_id="cs_test_" + "Z" * 58))
    secrets.append("cs_test_" + "Z" * 58)
    logged = "\n".join(record.getMessage() for record in caplog.records)
    assert "checkout" in logged
    for secret in secrets:
        assert secret not in logged


def test_request_lines_of_this_route_are_redacted() -> None:
    line = '"GET /checkout/complete/39001/?stripe_session_id=cs_test_abcdefghijkl HTTP/1.1" 200 812'
    redacted = redact_query_strings(line)
    assert "cs_test_abcdefghijkl" not in redacted
    assert "/checkout/complete/39001/?[redacted]" in redacted


def test_gunicorn_logs_paths_without_query_strings() -> None:
    config = runpy.run_path(str(Path(__file__).resolve().parents[2] / "gunicorn.conf.py"))
    log_format = config["access_log_format"]
    assert "%(U)s" in log_format
    assert "%(r)s" not in log_format
    assert "%(q)s" not in log_format


PIECES = ["<script>", "&t=", "%00", "\r\n", "é", "🙂", '"', "'", "<", ">", "&", " ", "\x00", "A1"]
HOSTILE = st.one_of(
    st.text(max_size=64),
    st.lists(st.sampled_from(PIECES), max_size=20).map("".join),
    st.builds(lambda s: "cs_test_" + s, st.text(max_size=40)),
    st.builds(
        lambda s: "cs_test_" + s, st.lists(st.sampled_from(PIECES), max_size=10).map("".join)
    ),
    st.just("x" * 10_240),
    st.just("cs_test_" + "A" * 10_240),
)


# 40 examples: each is a real page render (about 0.4 s); the named cases have tests of their own.
@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(value=HOSTILE, parameter=st.sampled_from(sorted(PARAMETERS.values())))
def test_any_session_id_gives_a_clean_answer_and_no_unescaped_echo(
    sandbox, value, parameter
) -> None:
    cache.clear()  # the per-address budget is not what this test is about
    sandbox.app.clear_log()
    response = Client().get(f"/checkout/complete/39001/?{parameter}={quote(value, safe='')}")
    assert response.status_code in {200, 400, 404}
    page = _page(response)
    if not re.fullmatch(r"[A-Za-z0-9_-]*", value):
        # Nothing outside a gateway's alphabet is ever used, let alone shown.
        assert response.status_code == 400
        assert sandbox.app.log == []
        if len(value) >= 4:
            # Neither as typed nor as it travels in an address (a way back, a link).
            assert quote(value, safe="") not in page
            if not value.isspace():  # a page is indented with spaces
                assert value not in page
    assert "<script>" not in page


def test_it_links_a_guest_straight_to_nexudus_with_the_token_escaped(settings) -> None:
    settings.NEXUDUS_BASE_URL = "https://base.spaces.nexudus.com"
    settings.NEXUDUS_TRUSTED_HOSTS = ["base.spaces.nexudus.com", "*.spaces.nexudus.com"]
    token = 'a&b="<x>"'
    purchase = pages.Purchase(42, pages.GATEWAYS[0], token)
    rendered = Template("{{ pdf_url }}").render(
        Context({"pdf_url": pages.nexudus_guest_pdf(purchase)})
    )
    assert html.unescape(rendered) == links.guest_pdf_url(42, token)
    assert rendered.startswith("https://base.spaces.nexudus.com/api/public/billing/invoices/42/")
    assert not any(char in rendered for char in "<>\"'")


def test_a_refused_link_is_not_echoed_by_the_language_switcher(sandbox) -> None:
    """The footer's switcher comes back to the page; for a refused link, to its path alone."""
    refused = Client().get("/checkout/complete/39001/?paypal_session_id=000.")
    assert refused.status_code == 400
    assert "000." not in _page(refused)
    assert 'name="next" value="/checkout/complete/39001/"' in _page(refused)
    # A link that was taken comes back whole, so the guest lands on the same page.
    taken = Client().get(_url("stripe"))
    assert taken.status_code == 200
    assert f'name="next" value="{_url("stripe")}"' in _page(taken)
