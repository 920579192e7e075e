"""Issue 15: signed Nexudus webhooks keep each member's unpaid set fresh without asking Nexudus.

Bodies and signatures are made by the sandbox's own webhook code (sandbox/webhooks.py), an
implementation separate from the portal's, so the two readings of the Nexudus docs must agree.
"""

from __future__ import annotations

import json
from urllib.parse import urlsplit

import pytest
import requests
from django.test import Client
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sandbox.webhooks import SIGNATURE_HEADER, invoice_dto, signature, webhook_body
from tests.conftest import sign_in

pytestmark = pytest.mark.django_db

SECRET = "whsec-for-tests-only"
UNPAID = "/api/public/billing/invoices/my"
URL = "/webhooks/nexudus/"


@pytest.fixture
def webhooks_on(settings):
    settings.NEXUDUS_WEBHOOK_SECRET = SECRET
    return settings


def _coworker_id(sandbox, email: str) -> int:
    return sandbox.app.data.person_by_email(email).id


def _invoice_of(sandbox, email: str):
    person = _coworker_id(sandbox, email)
    return next(i for i in sandbox.app.data.invoices.values() if i.person_id == person)


def _body_for(sandbox, email: str, **changes) -> bytes:
    dto = invoice_dto(sandbox.app.data, _invoice_of(sandbox, email))
    return webhook_body({**dto, **changes})


def _post(client: Client, body: bytes, sign: str | None = None, **headers) -> int:
    if sign is not None:
        headers[f"HTTP_{SIGNATURE_HEADER.upper().replace('-', '_')}"] = sign
    response = client.post(URL, body, content_type="application/json", **headers)
    return response.status_code


def _upstream_calls_for(sandbox, client: Client, path: str) -> int:
    sandbox.app.clear_log()
    assert client.get(path).status_code == 200
    return len(sandbox.app.calls(UNPAID))


# --- what a webhook does ------------------------------------------------------------------------


def test_with_webhooks_on_a_repeat_dashboard_asks_nexudus_nothing(
    client, sandbox, member, webhooks_on
) -> None:
    sign_in(client, member)
    assert _upstream_calls_for(sandbox, client, "/") >= 1
    assert _upstream_calls_for(sandbox, client, "/") == 0
    # My Invoices reads the same copy for To pay, so both screens agree; only Paid asks (once
    # the years to pick from are known: the first view in ten minutes asks for them too).
    client.get("/invoices/")
    assert _upstream_calls_for(sandbox, client, "/invoices/") == 1


def test_without_the_secret_every_dashboard_asks_nexudus(client, sandbox, member) -> None:
    sign_in(client, member)
    assert _upstream_calls_for(sandbox, client, "/") >= 1
    assert _upstream_calls_for(sandbox, client, "/") >= 1


def test_a_signed_webhook_makes_that_members_next_page_ask_again(
    client, sandbox, member, webhooks_on
) -> None:
    sign_in(client, member)
    client.get("/")
    body = _body_for(sandbox, member.email)
    assert _post(Client(), body, signature(body, SECRET)) == 200
    assert _upstream_calls_for(sandbox, client, "/") >= 1
    assert _upstream_calls_for(sandbox, client, "/") == 0


def test_a_webhook_for_one_member_leaves_another_members_copy_fresh(
    client, sandbox, member, empty_member, webhooks_on
) -> None:
    other = Client()
    sign_in(client, member)
    sign_in(other, empty_member)
    client.get("/")
    other.get("/")
    body = _body_for(sandbox, member.email)
    assert _post(Client(), body, signature(body, SECRET)) == 200
    assert _upstream_calls_for(sandbox, other, "/") == 0
    assert _upstream_calls_for(sandbox, client, "/") >= 1


def test_a_signed_webhook_naming_no_member_makes_every_copy_ask_again(
    client, sandbox, member, webhooks_on
) -> None:
    sign_in(client, member)
    client.get("/")
    body = json.dumps([{"Id": 1, "Action": "Something"}]).encode()
    assert _post(Client(), body, signature(body, SECRET)) == 200
    assert _upstream_calls_for(sandbox, client, "/") >= 1


def test_paying_and_coming_back_drop_the_members_copy(client, sandbox, member, webhooks_on) -> None:
    webhooks_on.NEXUDUS_PAY_URL = "http://{web_address}/invoices/{invoice_unique_id}/pay"
    sign_in(client, member)
    client.get("/")
    pay_page = client.get("/invoices/30001/pay/")["Location"]
    assert _upstream_calls_for(sandbox, client, "/") >= 1
    assert _upstream_calls_for(sandbox, client, "/") == 0
    # Back from the payment page; no webhook comes (the sandbox has no webhook_url here).
    sandbox.app.knobs.update(portal_url="http://testserver")
    back = urlsplit(requests.post(pay_page, allow_redirects=False, timeout=10).headers["Location"])
    assert client.get(f"{back.path}?{back.query}", follow=True).status_code == 200
    assert _upstream_calls_for(sandbox, client, "/") >= 1
    page = client.get("/invoices/").content.decode()
    to_pay = page[page.index('id="to-pay"') : page.index('id="paid"')]
    assert sandbox.app.data.invoices[30001].number not in to_pay


def test_the_sandbox_payment_page_sends_a_webhook_the_portal_accepts(
    live_server, sandbox, member, webhooks_on
) -> None:
    """Over real HTTP: the sandbox pays, signs and POSTs; the portal verifies and forgets."""
    webhooks_on.NEXUDUS_PAY_URL = "http://{web_address}/invoices/{invoice_unique_id}/pay"
    sandbox.app.knobs.update(
        webhook_url=f"{live_server.url}{URL}", webhook_secret=SECRET, portal_url=live_server.url
    )
    browser = Client()
    sign_in(browser, member)
    browser.get("/")
    pay_page = browser.get("/invoices/30001/pay/")["Location"]
    browser.get("/")  # the Pay hand-off dropped the copy; this view keeps a new one
    assert _upstream_calls_for(sandbox, browser, "/") == 0
    assert requests.post(pay_page, allow_redirects=False, timeout=10).status_code == 303
    assert sandbox.app.wait_for_webhooks()
    deliveries = sandbox.app.webhook_deliveries
    assert deliveries and all(d.status == 200 and d.signed for d in deliveries)
    assert _upstream_calls_for(sandbox, browser, "/") >= 1


# --- what a webhook must be ---------------------------------------------------------------------


def test_a_webhook_with_a_bad_signature_is_refused_and_changes_nothing(
    client, sandbox, member, webhooks_on
) -> None:
    sign_in(client, member)
    client.get("/")
    body = _body_for(sandbox, member.email)
    assert _post(Client(), body, signature(body, "another-secret")) == 403
    assert _post(Client(), body, "not hex at all") == 403
    assert _post(Client(), body, signature(body, SECRET).lower()[:-1]) == 403
    assert _upstream_calls_for(sandbox, client, "/") == 0


def test_an_unsigned_webhook_is_refused(sandbox, member, webhooks_on) -> None:
    assert _post(Client(), _body_for(sandbox, member.email)) == 403


def test_a_signed_body_replayed_with_another_members_id_is_refused(
    client, sandbox, member, two_factor_member, webhooks_on
) -> None:
    sign_in(client, member)
    client.get("/")
    original = _body_for(sandbox, two_factor_member.email)
    forged = original.replace(
        f'"CoworkerId":{_coworker_id(sandbox, two_factor_member.email)}'.encode(),
        f'"CoworkerId":{_coworker_id(sandbox, member.email)}'.encode(),
    )
    assert forged != original
    assert _post(Client(), forged, signature(original, SECRET)) == 403
    assert _upstream_calls_for(sandbox, client, "/") == 0


def test_a_replayed_genuine_webhook_does_no_more_than_the_first(
    sandbox, member, webhooks_on
) -> None:
    body = _body_for(sandbox, member.email)
    assert _post(Client(), body, signature(body, SECRET)) == 200
    assert _post(Client(), body, signature(body, SECRET)) == 200


def test_an_oversized_webhook_is_refused_before_it_is_read(sandbox, member, webhooks_on) -> None:
    body = b"[" + b" " * (300 * 1024) + b"]"
    assert _post(Client(), body, signature(body, SECRET)) == 400


def test_a_signed_body_that_is_not_json_records_is_a_400(webhooks_on) -> None:
    for body in (b"not json", b'"a string"', b"[1, 2]", b"[]", b"\xff\xfe"):
        sign = signature(body, SECRET) if body.isascii() else "00"
        assert _post(Client(), body, sign) in (400, 403), body
    for body in (b"not json", b'"a string"', b"[1, 2]", b"[]"):
        assert _post(Client(), body, signature(body, SECRET)) == 400, body


def test_a_non_ascii_body_signed_as_dotnet_does_is_accepted(sandbox, member, webhooks_on) -> None:
    body = _body_for(sandbox, member.email, InvoiceNumber="Café-€-2026-🧾")
    assert not body.isascii()
    assert _post(Client(), body, signature(body, SECRET)) == 200


def test_without_a_secret_webhooks_are_refused(settings, sandbox, member) -> None:
    settings.NEXUDUS_WEBHOOK_SECRET = ""
    body = _body_for(sandbox, member.email)
    assert _post(Client(), body, signature(body, "")) == 403


def test_only_post_is_answered(client, webhooks_on) -> None:
    assert client.get(URL).status_code == 405
    assert client.put(URL, b"[]").status_code == 405


def test_refusals_never_log_the_body_or_the_signature(sandbox, member, webhooks_on, caplog):
    body = _body_for(sandbox, member.email)
    _post(Client(), body, signature(body, "wrong"))
    _post(Client(), body, signature(body, SECRET))
    text = caplog.text
    assert signature(body, SECRET) not in text and signature(body, "wrong") not in text
    assert _invoice_of(sandbox, member.email).number not in text
    assert SECRET not in text


@settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck))
@given(body=st.binary(max_size=2048), sign=st.one_of(st.none(), st.text(max_size=80)))
def test_nothing_a_stranger_sends_is_a_500(body: bytes, sign: str | None) -> None:
    from django.conf import settings as django_settings

    django_settings.NEXUDUS_WEBHOOK_SECRET = SECRET
    try:
        headers = {}
        if sign is not None and sign.isprintable() and sign.isascii():
            headers["HTTP_X_NEXUDUS_HOOK_SIGNATURE"] = sign
        status = Client().post(URL, body, content_type="application/json", **headers).status_code
        assert status in (400, 403)
    finally:
        django_settings.NEXUDUS_WEBHOOK_SECRET = ""
