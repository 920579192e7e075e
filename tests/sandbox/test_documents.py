"""Invoice PDFs by media JWT, statements, and the guest checkout endpoints."""

from __future__ import annotations

import pytest
from werkzeug.test import Client

from sandbox.app import SandboxApp
from sandbox.data import GUEST_CHECKOUTS, SHOWCASE_INVOICES

from .conftest import SignedIn, pdf_text, sign_in

STRIPE = GUEST_CHECKOUTS["stripe"]


def media_jwt(client: Client, who: SignedIn) -> str:
    return client.get("/api/auth/media/customer", headers=who.headers).get_json()["jwt"]


def pdf_at(client: Client, url: str):
    """The response at `url`, checked to be a PDF."""
    response = client.get(url)
    assert response.status_code == 200
    assert response.mimetype == "application/pdf"
    assert response.data.startswith(b"%PDF")
    return response


def test_it_serves_a_members_invoice_pdf_with_a_media_jwt(
    client: Client, member: SignedIn, app: SandboxApp
) -> None:
    jwt = media_jwt(client, member)
    response = pdf_at(client, f"/api/public/billing/invoices/30001/pdf?t={jwt}")
    number = app.data.invoices[30001].number
    assert response.headers["Content-Disposition"] == f'inline; filename="{number}.pdf"'


def test_it_serves_the_same_bytes_twice(client: Client, member: SignedIn) -> None:
    jwt = media_jwt(client, member)
    first = client.get(f"/api/public/billing/invoices/30005/pdf?t={jwt}").data
    second = client.get(f"/api/public/billing/invoices/30005/pdf?t={jwt}").data
    assert first == second


@pytest.mark.parametrize("invoice_id", [30004, 30006, 30010, 30012, 30015])
def test_it_renders_drafts_credit_notes_and_hostile_text(
    client: Client, member: SignedIn, invoice_id: int
) -> None:
    jwt = media_jwt(client, member)
    response = client.get(f"/api/public/billing/invoices/{invoice_id}/pdf?t={jwt}")
    assert response.status_code == 200
    assert response.data.startswith(b"%PDF")


def test_it_pads_invoice_pdfs_to_a_real_invoices_size_when_asked(
    client: Client, member: SignedIn, app: SandboxApp
) -> None:
    jwt = media_jwt(client, member)
    plain = pdf_at(client, f"/api/public/billing/invoices/30001/pdf?t={jwt}").data
    app.knobs.update(pdf_min_kib=150)
    grown = pdf_at(client, f"/api/public/billing/invoices/30001/pdf?t={jwt}").data
    assert len(plain) < 150 * 1024 <= len(grown)
    # The same document, then a comment, then its trailer again: readers still find it.
    assert grown.startswith(plain) and grown.endswith(plain[plain.rindex(b"startxref") :])
    assert pdf_text(grown) == pdf_text(plain)


def test_it_needs_no_bearer_for_the_pdf(client: Client, member: SignedIn) -> None:
    jwt = media_jwt(client, member)
    response = client.get(
        f"/api/public/billing/invoices/30001/pdf?t={jwt}",
        headers={"Authorization": "Bearer rubbish"},
    )
    assert response.status_code == 200


@pytest.mark.parametrize("t", [None, "", "abc", "a.b.c", "eyJhbGciOiJub25lIn0.e30."])
def test_it_refuses_a_pdf_without_a_valid_media_jwt(client: Client, t: str | None) -> None:
    url = "/api/public/billing/invoices/30001/pdf"
    response = client.get(url if t is None else f"{url}?t={t}")
    assert response.status_code == 401
    assert response.data == b""


def test_it_refuses_a_media_jwt_signed_by_another_sandbox(client: Client, member: SignedIn) -> None:
    forged = SandboxApp().media_token(member.person_id)
    response = client.get(f"/api/public/billing/invoices/30001/pdf?t={forged}")
    assert response.status_code == 401


def test_it_refuses_a_bearer_token_in_place_of_the_media_jwt(
    client: Client, member: SignedIn
) -> None:
    url = f"/api/public/billing/invoices/30001/pdf?t={member.access_token}"
    assert client.get(url).status_code == 401


def test_it_answers_404_for_another_persons_media_jwt(
    client: Client, member: SignedIn, other_member: SignedIn
) -> None:
    jwt = media_jwt(client, other_member)
    response = client.get(f"/api/public/billing/invoices/30001/pdf?t={jwt}")
    assert response.status_code == 404


def test_it_answers_404_for_an_unknown_invoice_pdf(client: Client, member: SignedIn) -> None:
    jwt = media_jwt(client, member)
    assert client.get(f"/api/public/billing/invoices/999/pdf?t={jwt}").status_code == 404


def test_it_expires_the_media_jwt_after_sixty_seconds(
    client: Client, member: SignedIn, app: SandboxApp
) -> None:
    jwt = media_jwt(client, member)
    app.clock.advance(59)
    assert client.get(f"/api/public/billing/invoices/30001/pdf?t={jwt}").status_code == 200
    app.clock.advance(2)
    assert client.get(f"/api/public/billing/invoices/30001/pdf?t={jwt}").status_code == 401


def test_it_serves_a_statement_pdf(client: Client, member: SignedIn) -> None:
    jwt = media_jwt(client, member)
    response = client.get(f"/api/public/billing/invoices/statements/pdf?t={jwt}")
    assert response.status_code == 200
    assert response.mimetype == "application/pdf"
    assert response.data.startswith(b"%PDF")


def test_it_serves_a_statement_for_a_member_without_invoices(
    client: Client, empty_member: SignedIn
) -> None:
    jwt = media_jwt(client, empty_member)
    response = client.get(f"/api/public/billing/invoices/statements/pdf?t={jwt}")
    assert response.status_code == 200
    assert response.data.startswith(b"%PDF")


def test_it_refuses_a_statement_without_a_valid_media_jwt(
    client: Client, member: SignedIn, app: SandboxApp
) -> None:
    assert client.get("/api/public/billing/invoices/statements/pdf?t=x").status_code == 401
    jwt = media_jwt(client, member)
    app.clock.advance(61)
    url = f"/api/public/billing/invoices/statements/pdf?t={jwt}"
    assert client.get(url).status_code == 401


@pytest.mark.parametrize("gateway", sorted(GUEST_CHECKOUTS))
def test_it_serves_a_guest_pdf_by_gateway_session_id(client: Client, gateway: str) -> None:
    checkout = GUEST_CHECKOUTS[gateway]
    response = client.get(
        f"/api/public/billing/invoices/{checkout.invoice_id}/pdfByToken?token={checkout.session_id}"
    )
    assert response.status_code == 200
    assert response.mimetype == "application/pdf"
    assert response.data.startswith(b"%PDF")


def test_it_shapes_the_gateway_session_ids_like_the_real_ones() -> None:
    stripe, spreedly, paypal = (
        GUEST_CHECKOUTS[g].session_id for g in ("stripe", "spreedly", "paypal")
    )
    assert stripe.startswith("cs_test_") and len(stripe) == 66 and stripe[8:].isalnum()
    assert len(spreedly) == 29 and spreedly.isalnum()
    assert len(paypal) == 17 and paypal.isalnum() and paypal == paypal.upper()


def test_it_refuses_an_unknown_guest_token(client: Client) -> None:
    url = f"/api/public/billing/invoices/{STRIPE.invoice_id}/pdfByToken"
    assert client.get(f"{url}?token=cs_test_nope").status_code == 401
    assert client.get(url).status_code == 401


def test_it_answers_404_when_the_guest_token_is_for_another_invoice(client: Client) -> None:
    paypal = GUEST_CHECKOUTS["paypal"]
    url = f"/api/public/billing/invoices/{paypal.invoice_id}/pdfByToken?token={STRIPE.session_id}"
    assert client.get(url).status_code == 404
    url = f"/api/public/billing/invoices/30001/pdfByToken?token={STRIPE.session_id}"
    assert client.get(url).status_code == 404


def register(client: Client, invoice_id: int, token: str):
    return client.post(f"/api/public/billing/invoices/{invoice_id}/registerByToken?token={token}")


def test_it_registers_a_guest_once_and_returns_the_same_token(
    client: Client, app: SandboxApp
) -> None:
    guest = app.data.person_by_email(STRIPE.email)
    assert guest is not None and guest.guest and not guest.registered
    people_before = len(app.data.people)

    first = register(client, STRIPE.invoice_id, STRIPE.session_id)
    assert first.status_code == 200
    token = first.get_json()["Token"]
    assert token.count(".") == 2
    assert guest.registered
    assert guest.registered_on is not None

    again = register(client, STRIPE.invoice_id, STRIPE.session_id)
    assert again.status_code == 200
    assert again.get_json() == {"Token": token}
    assert len(app.data.people) == people_before
    assert [p.email for p in app.data.people.values()].count(STRIPE.email) == 1


def test_it_accepts_the_registration_token_for_the_guest_pdf(client: Client) -> None:
    token = register(client, STRIPE.invoice_id, STRIPE.session_id).get_json()["Token"]
    response = client.get(
        f"/api/public/billing/invoices/{STRIPE.invoice_id}/pdfByToken?token={token}"
    )
    assert response.status_code == 200
    assert response.data.startswith(b"%PDF")


def test_it_refuses_to_register_with_a_bad_token_or_the_wrong_invoice(client: Client) -> None:
    assert register(client, STRIPE.invoice_id, "cs_test_nope").status_code == 401
    assert register(client, 30001, STRIPE.session_id).status_code == 404


def test_it_wants_post_to_register(client: Client) -> None:
    url = f"/api/public/billing/invoices/{STRIPE.invoice_id}/registerByToken"
    response = client.get(f"{url}?token={STRIPE.session_id}")
    assert response.status_code == 405
    assert "POST" in response.headers["Allow"]


def test_it_lets_a_registered_guest_in_only_once_they_have_a_password(
    client: Client, app: SandboxApp
) -> None:
    register(client, STRIPE.invoice_id, STRIPE.session_id)
    assert sign_in(client, STRIPE.email).get_json()["error"] == "invalid_grant"
    app.data.person_by_email(STRIPE.email).password = "demo-pass-1"
    assert sign_in(client, STRIPE.email).status_code == 200


def test_it_counts_registration_as_a_write_and_reloads_as_none(
    client: Client, app: SandboxApp
) -> None:
    app.clear_log()
    register(client, STRIPE.invoice_id, STRIPE.session_id)
    assert len(app.writes()) == 1
    app.clear_log()
    for _ in range(10):
        client.get(
            f"/api/public/billing/invoices/{STRIPE.invoice_id}/pdfByToken?token={STRIPE.session_id}"
        )
    assert app.writes() == []
    assert len(app.calls("/api/public/billing/invoices/", method="GET")) == 10


DRAFT_PDF = "/api/public/billing/invoices/draft/pdf"


def test_it_previews_the_next_invoice_as_a_pdf(
    client: Client, member: SignedIn, app: SandboxApp
) -> None:
    jwt = media_jwt(client, member)
    text = pdf_text(pdf_at(client, f"{DRAFT_PDF}?t={jwt}").data)
    draft = app.data.invoices[SHOWCASE_INVOICES["draft"]]
    assert draft.draft and draft.number in text
    assert "DRAFT" in text
    assert "Locker rental" in text


@pytest.mark.parametrize("who", ["empty_member", "busy_member"])
def test_it_answers_404_when_nothing_is_upcoming(
    client: Client, request: pytest.FixtureRequest, who: str
) -> None:
    jwt = media_jwt(client, request.getfixturevalue(who))
    response = client.get(f"{DRAFT_PDF}?t={jwt}")
    assert response.status_code == 404
    assert response.mimetype == "application/json"
    assert response.get_json()["Message"]


def test_it_refuses_the_next_invoice_without_a_valid_media_jwt(
    client: Client, member: SignedIn, app: SandboxApp
) -> None:
    assert client.get(DRAFT_PDF).status_code == 401
    assert client.get(f"{DRAFT_PDF}?t={member.access_token}").status_code == 401
    jwt = media_jwt(client, member)
    app.clock.advance(61)
    assert client.get(f"{DRAFT_PDF}?t={jwt}").status_code == 401
