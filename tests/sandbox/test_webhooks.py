"""Webhooks: signed, one record in a JSON array, sent in the background when data changes."""

from __future__ import annotations

import dataclasses
import hashlib
import hmac
import json
import socket
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from werkzeug.test import Client

from sandbox import webhooks
from sandbox.app import Knobs, SandboxApp
from sandbox.data import SHOWCASE_INVOICES
from sandbox.knobs import SECRET_MASK
from sandbox.webhooks import INVOICE_ACTIONS, SIGNATURE_HEADER, dotnet_ascii, signature

from .conftest import Receiver, SignedIn

TYPICAL = SHOWCASE_INVOICES["typical"]
SECRET = "s3cret-shared-with-the-portal"


def pay(client: Client, app: SandboxApp, invoice_id: int = TYPICAL):
    return client.post(f"/invoices/{app.data.invoices[invoice_id].unique_id}/pay")


def touch(client: Client, invoice_id: int, action: str | None = "CoworkerInvoiceUpdate"):
    query = f"?action={action}" if action else ""
    return client.post(f"/_sandbox/invoices/{invoice_id}/touch{query}")


def expected_signature(body: bytes, secret: str) -> str:
    """What the C# on help.nexudus.com computes (ASCIIEncoding for key and body)."""
    ascii_body = body.decode("utf-8").encode("ascii", "replace")
    return hmac.new(secret.encode("ascii"), ascii_body, hashlib.sha256).hexdigest().upper()


def test_it_sends_paid_then_received_payment_when_an_invoice_is_paid(
    client: Client, app: SandboxApp, receiver: Receiver, member: SignedIn
) -> None:
    app.knobs.update(webhook_url=receiver.url, webhook_secret=SECRET)
    assert pay(client, app).status_code == 303
    assert app.wait_for_webhooks()
    deliveries = app.webhook_deliveries
    assert [(d.action, d.record_id, d.status, d.signed) for d in deliveries] == [
        ("CoworkerInvoicePaid", TYPICAL, 200, True),
        ("CoworkerInvoiceReceivedPayment", TYPICAL, 200, True),
    ]
    first, second = receiver.received
    assert first.headers["Content-Type"] == "application/json; charset=utf-8"
    [record] = json.loads(first.body)
    assert json.loads(second.body) == [record]
    invoice = app.data.invoices[TYPICAL]
    profile_id = client.get("/api/public/coworkers/profiles", headers=member.headers).get_json()[
        "Profiles"
    ][0]["Id"]
    assert record["Id"] == TYPICAL
    assert record["UniqueId"] == invoice.unique_id
    assert record["CoworkerId"] == profile_id
    assert record["BusinessId"] == invoice.location_id
    assert record["InvoiceNumber"] == invoice.number
    assert record["Paid"] is True and record["PaidOn"]
    assert record["TotalAmount"] == 510 and record["DueAmount"] == 0
    assert record["PaidAmount"] == 510
    assert record["CurrencyCode"] == "GBP"
    assert record["CreditNote"] is False
    assert record["UpdatedOn"] == record["PaidOn"]


def test_it_signs_webhooks_as_nexudus_does(
    client: Client, app: SandboxApp, receiver: Receiver
) -> None:
    app.knobs.update(webhook_url=receiver.url, webhook_secret=SECRET)
    touch(client, TYPICAL)
    assert app.wait_for_webhooks()
    [received] = receiver.received
    header = received.headers[SIGNATURE_HEADER]
    assert header == expected_signature(received.body, SECRET)
    assert header == header.upper() and len(header) == 64
    assert received.body.startswith(b'[{"Id":') and received.body.endswith(b"}]")


def test_it_signs_what_dotnet_ascii_encoding_sees_and_sends_utf8(
    client: Client, app: SandboxApp, receiver: Receiver
) -> None:
    invoice = app.data.invoices[TYPICAL]
    app.data.invoices[TYPICAL] = dataclasses.replace(invoice, number="Zoë-€-😀")
    app.knobs.update(webhook_url=receiver.url, webhook_secret=SECRET)
    touch(client, TYPICAL)
    assert app.wait_for_webhooks()
    [received] = receiver.received
    assert "Zoë-€-😀".encode() in received.body  # UTF-8, not \\u escapes
    header = received.headers[SIGNATURE_HEADER]
    over_ascii = received.body.decode("utf-8").replace("Zoë-€-😀", "Zo?-?-??").encode("ascii")
    assert header == hmac.new(SECRET.encode(), over_ascii, hashlib.sha256).hexdigest().upper()
    over_utf8 = hmac.new(SECRET.encode(), received.body, hashlib.sha256).hexdigest().upper()
    assert header != over_utf8


def test_it_folds_non_ascii_like_dotnet() -> None:
    assert dotnet_ascii("plain") == b"plain"
    assert dotnet_ascii("é€") == b"??"
    # Outside the BMP a character is two UTF-16 code units, so two "?".
    assert dotnet_ascii("a😀b") == b"a??b"
    assert (
        signature(b"[]", "k\u00e9y") == hmac.new(b"k?y", b"[]", hashlib.sha256).hexdigest().upper()
    )


def test_it_sends_nothing_without_a_webhook_url(client: Client, app: SandboxApp) -> None:
    assert app.knobs.webhook_url is None
    response = touch(client, TYPICAL)
    assert response.status_code == 202
    assert response.get_json() == {
        "Action": "CoworkerInvoiceUpdate",
        "InvoiceId": TYPICAL,
        "Queued": False,
    }
    pay(client, app)
    assert app.wait_for_webhooks(timeout=0.1)
    assert app.webhook_deliveries == []


def test_it_sends_unsigned_webhooks_without_a_secret(
    client: Client, app: SandboxApp, receiver: Receiver
) -> None:
    app.knobs.update(webhook_url=receiver.url)
    touch(client, TYPICAL)
    assert app.wait_for_webhooks()
    [received] = receiver.received
    assert SIGNATURE_HEADER not in received.headers
    assert app.webhook_deliveries[0].signed is False


def test_it_puts_the_action_in_the_url_when_asked(
    client: Client, app: SandboxApp, receiver: Receiver
) -> None:
    app.knobs.update(webhook_url=receiver.url + "?action={action}")
    touch(client, TYPICAL, "CoworkerInvoiceCreditNote")
    assert app.wait_for_webhooks()
    assert receiver.received[0].path == "/hooks?action=CoworkerInvoiceCreditNote"


@pytest.mark.parametrize("action", sorted(INVOICE_ACTIONS))
def test_it_touches_an_invoice_with_any_invoice_action(
    client: Client, app: SandboxApp, receiver: Receiver, action: str
) -> None:
    app.knobs.update(webhook_url=receiver.url)
    before = app.data.invoices[TYPICAL]
    app.clock.advance(3600)
    response = touch(client, TYPICAL, action)
    assert response.status_code == 202
    assert response.get_json()["Queued"] is True
    assert app.wait_for_webhooks()
    assert [(d.action, d.record_id, d.status) for d in app.webhook_deliveries] == [
        (action, TYPICAL, 200)
    ]
    [record] = json.loads(receiver.received[0].body)
    touched = app.data.invoices[TYPICAL]
    assert touched.updated_on is not None and touched.updated_on > before.created_on
    assert record["UpdatedOn"] == touched.updated_on.strftime("%Y-%m-%dT%H:%M:%SZ")
    assert before.updated_on is None  # the shared seed record is untouched


def test_it_touches_with_an_update_by_default_and_refuses_nonsense(
    client: Client, app: SandboxApp
) -> None:
    assert touch(client, TYPICAL, None).get_json()["Action"] == "CoworkerInvoiceUpdate"
    assert touch(client, TYPICAL, "CoworkerCreate").status_code == 400
    assert touch(client, 1).status_code == 404
    assert client.get(f"/_sandbox/invoices/{TYPICAL}/touch").status_code == 405


def test_it_records_the_receivers_answer(
    client: Client, app: SandboxApp, receiver: Receiver
) -> None:
    receiver.status = 500
    app.knobs.update(webhook_url=receiver.url)
    touch(client, TYPICAL)
    assert app.wait_for_webhooks()
    assert app.webhook_deliveries[0].status == 500


def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def test_it_pays_even_when_the_receiver_is_down(client: Client, app: SandboxApp) -> None:
    app.knobs.update(webhook_url=f"http://127.0.0.1:{closed_port()}/hooks", webhook_secret=SECRET)
    assert pay(client, app).status_code == 303
    assert app.data.invoices[TYPICAL].paid
    assert app.wait_for_webhooks()
    deliveries = app.webhook_deliveries
    assert [d.status for d in deliveries] == [None, None]
    assert all(d.error for d in deliveries)


@pytest.mark.alone  # 0.3 s, against a 0.3 s timeout per delivery
def test_it_never_waits_for_a_slow_receiver(
    client: Client, app: SandboxApp, monkeypatch: pytest.MonkeyPatch
) -> None:
    release = threading.Event()

    class Stuck(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            release.wait(5)

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Stuck)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    monkeypatch.setattr(webhooks, "TIMEOUT_SECONDS", 0.3)
    try:
        app.knobs.update(webhook_url=f"http://127.0.0.1:{server.server_port}/")
        started = time.perf_counter()
        assert pay(client, app).status_code == 303
        assert time.perf_counter() - started < 0.3
        assert app.wait_for_webhooks(timeout=5)
        assert [d.error for d in app.webhook_deliveries] == ["TimeoutError", "TimeoutError"]
    finally:
        release.set()
        server.shutdown()
        server.server_close()


def test_it_records_deliveries_without_body_url_or_secret(
    client: Client, app: SandboxApp, receiver: Receiver
) -> None:
    app.knobs.update(webhook_url=receiver.url + "?key=url-secret", webhook_secret=SECRET)
    pay(client, app)
    assert app.wait_for_webhooks()
    recorded = repr(app.webhook_deliveries)
    number = app.data.invoices[TYPICAL].number
    for secret in (SECRET, "url-secret", number, "TotalAmount", receiver.url):
        assert secret not in recorded


def test_it_reads_the_webhook_knobs_from_the_environment_and_never_shows_the_secret(
    client: Client, app: SandboxApp
) -> None:
    knobs = Knobs.from_env(
        {
            "SANDBOX_WEBHOOK_URL": "http://127.0.0.1:8000/webhooks/nexudus/",
            "SANDBOX_WEBHOOK_SECRET": SECRET,
        }
    )
    assert knobs.webhook_url == "http://127.0.0.1:8000/webhooks/nexudus/"
    assert knobs.webhook_secret == SECRET
    assert Knobs.from_env({}).webhook_url is None
    shown = client.post("/_sandbox/knobs", json={"webhook_secret": SECRET}).get_json()
    assert shown["webhook_secret"] == SECRET_MASK
    assert SECRET not in client.get("/_sandbox/knobs").get_data(as_text=True)
    assert app.knobs.webhook_secret == SECRET
    assert (
        client.post("/_sandbox/knobs", json={"webhook_secret": None}).get_json()["webhook_secret"]
        is None
    )
    with pytest.raises(ValueError):
        Knobs().update(webhook_url="ftp://example.com/")
