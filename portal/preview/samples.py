"""Sample data for staff previews: the sandbox's seeded people, served in-process.

A preview must look like the real thing and never touch Nexudus. The sandbox already holds
faithful sample data and answers in the documented shapes, so a preview asks a private, in-process
sandbox (no socket, no network) and parses its answers with the portal's own record parsers.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Any

from werkzeug.test import Client as WsgiClient

from portal.nexudus import client, records
from sandbox.app import SandboxApp
from sandbox.data import GUEST_CHECKOUTS

_lock = threading.Lock()
_app: SandboxApp | None = None


def sample_sandbox() -> SandboxApp:
    """One private sandbox per process, created on first use."""
    global _app
    with _lock:
        if _app is None:
            _app = SandboxApp()
        return _app


def _ask(path: str, *, bearer: str | None = None, query: dict[str, Any] | None = None) -> Any:
    headers = {"Authorization": f"Bearer {bearer}"} if bearer else {}
    response = WsgiClient(sample_sandbox()).get(path, query_string=query or {}, headers=headers)
    if response.status_code == 404:
        raise client.NotFound("sample not found")
    return records.loads(response.get_data())


def _pdf(path: str, query: dict[str, Any]) -> bytes:
    response = WsgiClient(sample_sandbox()).get(path, query_string=query)
    if response.status_code != 200:
        raise client.NotFound("sample document not found")
    return response.get_data()


def sample_invoice_pdf(email: str, invoice_id: int) -> bytes:
    """A sample PDF, made by the sandbox's generator for a sample person's invoice."""
    app = sample_sandbox()
    person = app.data.person_by_email(email)
    if person is None or invoice_id not in app.data.invoices_by_person.get(person.id, ()):
        raise client.NotFound("sample invoice not found")
    path = f"/api/public/billing/invoices/{invoice_id}/pdf"
    return _pdf(path, {"t": app.media_token(person.id)})


def sample_statement_pdf(email: str) -> bytes:
    app = sample_sandbox()
    person = app.data.person_by_email(email)
    if person is None:
        raise client.NotFound("sample person not found")
    return _pdf("/api/public/billing/invoices/statements/pdf", {"t": app.media_token(person.id)})


def sample_guest_pdf(gateway: str) -> bytes:
    invoice_id, session_id, _ = GUEST_CHECKOUTS[gateway]
    path = f"/api/public/billing/invoices/{invoice_id}/pdfByToken"
    return _pdf(path, {"token": session_id})


@dataclass(frozen=True)
class SampleBackend:
    """Answers the client's endpoint functions for one sample person, or as if Nexudus were down.

    Only what previews render is answered; anything else is refused loudly, so a preview can
    never quietly do something a member's page would not.
    """

    email: str = "ada@example.com"
    down: bool = False
    rejected_tokens: frozenset[str] = frozenset()

    @property
    def person_key(self) -> str:
        """The short name preview URLs use for this person (the e-mail's local part)."""
        return self.email.split("@", 1)[0]

    def _token(self) -> str:
        if self.down:
            raise client.Unavailable("preview: Nexudus down")
        return sample_sandbox().issue_tokens(self.email)["access_token"]

    def get_me(self, access_token: str) -> records.Me:
        return records.Me.from_json(_ask("/api/public/coworkers/profiles", bearer=self._token()))

    def get_business(self, access_token: str) -> records.Business:
        data = _ask("/api/public/businesses/current", bearer=self._token())
        return records.Business.from_json(data)

    def list_invoices(self, access_token: str, **options: Any) -> records.InvoicePage:
        query: dict[str, Any] = {
            "creditNotes": "true" if options.get("credit_notes") else "false",
            "page": options.get("page", 1),
            "size": options.get("size", 25),
        }
        if options.get("paid") is not None:
            query["paid"] = "true" if options["paid"] else "false"
        data = _ask("/api/public/billing/invoices/my", bearer=self._token(), query=query)
        return records.InvoicePage.from_json(data, page=query["page"], size=query["size"])

    def get_invoice(self, access_token: str, invoice_id: int, **options: Any) -> records.Invoice:
        path = f"/api/public/billing/invoices/{invoice_id}"
        return records.Invoice.from_json(_ask(path, bearer=self._token()))

    def get_invoice_pdf_by_token(self, invoice_id: int, *, token: str) -> bytes:
        if self.down:
            raise client.Unavailable("preview: Nexudus down")
        if token in self.rejected_tokens:
            raise client.Unauthorized("preview: token rejected")
        return b"%PDF-sample"

    def __getattr__(self, name: str) -> Any:
        raise AttributeError(f"previews do not call {name}")
