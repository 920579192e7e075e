"""Fixtures for the sandbox tests: a fresh SandboxApp per test, driven through werkzeug's test
client (no network), and members signed in through the real token endpoint."""

from __future__ import annotations

import re
import threading
import zlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from werkzeug.test import Client, TestResponse

from sandbox.app import SandboxApp
from sandbox.data import DEMO_PASSWORD
from sandbox.server import RunningSandbox, start_in_thread


@pytest.fixture
def app() -> SandboxApp:
    return SandboxApp()


@pytest.fixture
def client(app: SandboxApp) -> Client:
    return Client(app)


@dataclass
class SignedIn:
    """A person signed in through POST /api/token."""

    email: str
    person_id: int
    access_token: str
    refresh_token: str
    client_id: str

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.access_token}"}


def sign_in(
    client: Client, email: str, client_id: str | None = None, totp: str | None = None
) -> TestResponse:
    form = {"grant_type": "password", "username": email, "password": DEMO_PASSWORD}
    if totp is not None:
        form["totp"] = totp
    headers = {"client_id": client_id} if client_id else {}
    return client.post("/api/token", data=form, headers=headers)


def signed_in(client: Client, app: SandboxApp, email: str, **kwargs: str) -> SignedIn:
    response = sign_in(client, email, **kwargs)
    assert response.status_code == 200, response.get_data(as_text=True)
    body = response.get_json()
    person = app.data.person_by_email(email)
    assert person is not None
    return SignedIn(
        email=email,
        person_id=person.id,
        access_token=body["access_token"],
        refresh_token=body["refresh_token"],
        client_id=kwargs.get("client_id") or email,
    )


@pytest.fixture
def member(client: Client, app: SandboxApp) -> SignedIn:
    """Ada: invoices from both locations in every state."""
    return signed_in(client, app, "ada@example.com")


@pytest.fixture
def other_member(client: Client, app: SandboxApp) -> SignedIn:
    """Grace: 2FA on, a few invoices of her own."""
    return signed_in(client, app, "grace@example.com", totp="123456")


@pytest.fixture
def busy_member(client: Client, app: SandboxApp) -> SignedIn:
    """Barbara: 2,000 invoices."""
    return signed_in(client, app, "busy@example.com")


@pytest.fixture
def empty_member(client: Client, app: SandboxApp) -> SignedIn:
    """Edsger: no invoices at all."""
    return signed_in(client, app, "empty@example.com")


def pdf_text(pdf: bytes) -> str:
    """The text drawn on the pages (fpdf2 compresses each page's content stream)."""
    parts = []
    for stream in re.findall(rb"stream\r?\n(.*?)\r?\nendstream", pdf, re.S):
        try:
            content = zlib.decompress(stream)
        except zlib.error:
            continue
        parts.extend(m.decode("latin-1") for m in re.findall(rb"\((.*?)\) Tj", content))
    text = "\n".join(parts).replace("\\(", "(").replace("\\)", ")")
    return text.replace("\xa0", " ")  # CLDR puts no-break spaces in amounts


@pytest.fixture
def running(app: SandboxApp) -> Iterator[RunningSandbox]:
    """The test's app served over real HTTP on a free port."""
    with start_in_thread(app=app) as sandbox:
        yield sandbox


@dataclass(frozen=True)
class Received:
    path: str
    headers: dict[str, str]
    body: bytes


@dataclass
class Receiver:
    """An HTTP server that records what is POSTed to it and answers `status`."""

    url: str
    status: int = 200
    received: list[Received] = field(default_factory=list)


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    """A webhook receiver on a free port."""
    box: dict[str, Receiver] = {}

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
            headers = {name: value for name, value in self.headers.items()}
            box["receiver"].received.append(Received(self.path, headers, body))
            self.send_response(box["receiver"].status)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    box["receiver"] = Receiver(url=f"http://127.0.0.1:{server.server_port}/hooks")
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05})
    thread.daemon = True
    thread.start()
    yield box["receiver"]
    server.shutdown()
    server.server_close()
