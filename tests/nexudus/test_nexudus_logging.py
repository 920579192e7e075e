"""S8: no password, token, media JWT or gateway id in any log record or error, at DEBUG."""

from __future__ import annotations

import json
import logging
import traceback
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler
from typing import NoReturn

import pytest
from django.views.debug import ExceptionReporter

import nexudus
from nexudus.api import Api
from nexudus.http import Transport

from .servers import closed_port_url, http_server, send

PASSWORD = "pw-SECRET-password"
ACCESS = "eyJ-SECRET-access"
REFRESH = "SECRET-refresh"
MEDIA_JWT = "eyJ-SECRET-media"
GATEWAY_ID = "cs_test_SECRETgateway"
REGISTERED = "eyJ-SECRET-registered"
SECRETS = [PASSWORD, ACCESS, REFRESH, MEDIA_JWT, GATEWAY_ID, REGISTERED]
PDF = b"%PDF-1.7\n%%EOF\n"


def fake_nexudus(handler: BaseHTTPRequestHandler) -> None:
    path = handler.path.split("?")[0]
    if path == "/api/token":
        body = handler.body.decode()  # type: ignore[attr-defined]
        if "wrong" in body:
            # A hostile upstream echoing the secret back in its error text.
            refusal = {"error": "invalid_grant", "error_description": f"bad {PASSWORD}"}
            send(handler, 400, json.dumps(refusal).encode())
            return
        tokens = {"access_token": ACCESS, "refresh_token": REFRESH, "expires_in": 60}
        send(handler, 200, json.dumps(tokens).encode())
    elif path == "/api/public/coworkers/profiles":
        send(handler, 401, b"")
    elif path == "/api/auth/media/customer":
        send(handler, 200, json.dumps({"jwt": MEDIA_JWT}).encode())
    elif path.endswith("/registerByToken"):
        send(handler, 200, json.dumps({"Token": REGISTERED}).encode())
    elif path == "/api/public/billing/invoices/7/pdfByToken":
        send(handler, 503, f"down, your token was {GATEWAY_ID}".encode(), "text/plain")
    elif path.endswith("pdf") or path.endswith("pdfByToken"):
        send(handler, 200, PDF, "application/pdf")
    else:
        send(handler, 404, b"")


@pytest.fixture
def fake_base_url(settings: object) -> Iterator[str]:
    with http_server(fake_nexudus) as server:
        settings.NEXUDUS_BASE_URL = server.base_url  # type: ignore[attr-defined]
        yield server.base_url


@pytest.fixture
def api() -> Api:
    return Api(Transport(sleep=lambda seconds: None, deadline=3.0))


def everything_written(records: list[logging.LogRecord]) -> str:
    formatter = logging.Formatter("%(name)s %(levelname)s %(message)s")
    parts = []
    for record in records:
        parts += [formatter.format(record), str(record.msg), repr(record.args)]
    return "\n".join(parts)


def error_text(error: BaseException) -> str:
    return "".join(traceback.format_exception(error)) + repr(error)


def test_it_never_writes_a_secret_down_even_at_debug(
    fake_base_url, api, caplog, settings, monkeypatch
):
    # Only pytest's capturing handlers: a handler with its own redacting filter (the project's
    # console handler) would rewrite the records first and hide what urllib3 really logged.
    root = logging.getLogger()
    captures = [h for h in root.handlers if isinstance(h, type(caplog.handler))]
    monkeypatch.setattr(root, "handlers", captures)
    caplog.set_level(logging.DEBUG)
    for name in ("urllib3", "requests", "nexudus"):
        caplog.set_level(logging.DEBUG, logger=name)
    errors: list[BaseException] = []

    tokens = api.sign_in("ada@example.com", PASSWORD, client_id="nexudus.portal.ada")
    api.refresh(tokens.refresh_token, client_id="nexudus.portal.ada")
    api.get_media_token(tokens.access_token)
    api.get_invoice_pdf_by_token(12, token=GATEWAY_ID)
    api.register_by_token(12, token=GATEWAY_ID)
    for failing in (
        lambda: api.sign_in("ada@example.com", f"wrong {PASSWORD}", client_id="c"),
        lambda: api.get_me(tokens.access_token),
        lambda: api.get_invoice_pdf_by_token(7, token=GATEWAY_ID),
    ):
        with pytest.raises(nexudus.NexudusError) as caught:
            failing()
        errors.append(caught.value)
    settings.NEXUDUS_BASE_URL = closed_port_url()
    with pytest.raises(nexudus.Unavailable) as caught:
        api.get_invoice_pdf_by_token(12, token=GATEWAY_ID)
    errors.append(caught.value)

    written = everything_written(caplog.records)
    assert "urllib3.connectionpool" in written  # urllib3 really did log at DEBUG
    assert "GET /api/public/billing/invoices/12/pdfByToken -> 200" in written
    for secret in SECRETS:
        assert secret not in written
        for error in errors:
            assert secret not in error_text(error)


class ExplodingSession(Transport):
    """A bug deep inside a call: the error report must not show the caller's secrets."""

    def request(self, *args: object, **kwargs: object) -> NoReturn:  # type: ignore[override]
        raise RuntimeError("unexpected")


def test_it_hides_secrets_from_django_error_reports_of_unexpected_failures(settings):
    settings.DEBUG = False
    settings.NEXUDUS_BASE_URL = "https://myspace.spaces.nexudus.test"
    with pytest.raises(RuntimeError) as caught:
        Api(ExplodingSession()).get_invoice_pdf_by_token(12, token=GATEWAY_ID)

    report = ExceptionReporter(None, caught.type, caught.value, caught.tb)
    frames = report.get_traceback_data()["frames"]
    local_vars = repr([frame["vars"] for frame in frames])

    assert "get_invoice_pdf_by_token" in [frame["function"] for frame in frames]
    assert "'token'" in local_vars  # the variable is listed...
    assert GATEWAY_ID not in local_vars  # ...but its value is not, in any frame below the call
    assert GATEWAY_ID not in report.get_traceback_html()
