"""POST /api/token, bearer checks, the media token and the password-recovery page."""

from __future__ import annotations

import base64
import json

import pytest
from werkzeug.test import Client

from sandbox.app import SandboxApp
from sandbox.data import ADA_ID, DEMO_PASSWORD

from .conftest import SignedIn, sign_in, signed_in

BAD_CREDENTIALS = "The user name or password is incorrect."


def refresh(client: Client, token: str, client_id: str | None):
    headers = {"client_id": client_id} if client_id is not None else {}
    return client.post(
        "/api/token",
        data={"grant_type": "refresh_token", "refresh_token": token},
        headers=headers,
    )


def test_it_signs_a_member_in_with_the_password_grant(client: Client) -> None:
    response = sign_in(client, "ada@example.com")
    assert response.status_code == 200
    assert response.content_type == "application/json; charset=utf-8"
    body = response.get_json()
    assert set(body) == {"access_token", "token_type", "expires_in", "refresh_token"}
    assert body["token_type"] == "bearer"
    assert body["expires_in"] == 86400
    assert body["access_token"] != body["refresh_token"]
    assert response.headers["Cache-Control"] == "no-store"


def test_it_matches_the_email_case_insensitively(client: Client) -> None:
    assert sign_in(client, "  ADA@Example.com").status_code == 200


@pytest.mark.parametrize(
    ("username", "password"),
    [
        ("ada@example.com", "wrong"),
        ("nobody@example.com", DEMO_PASSWORD),
        ("suspended@example.com", DEMO_PASSWORD),
        ("katherine.guest@example.com", ""),
        ("", ""),
    ],
)
def test_it_refuses_bad_credentials_with_one_message(
    client: Client, username: str, password: str
) -> None:
    response = client.post(
        "/api/token",
        data={"grant_type": "password", "username": username, "password": password},
    )
    assert response.status_code == 400
    assert response.get_json() == {"error": "invalid_grant", "error_description": BAD_CREDENTIALS}


def test_it_refuses_a_json_body_as_an_unsupported_grant_type(client: Client) -> None:
    response = client.post(
        "/api/token",
        json={"grant_type": "password", "username": "ada@example.com", "password": DEMO_PASSWORD},
    )
    assert response.status_code == 400
    assert response.get_json()["error"] == "unsupported_grant_type"
    assert response.get_json()["error_description"]


@pytest.mark.parametrize("grant_type", [None, "", "client_credentials"])
def test_it_refuses_a_missing_or_unknown_grant_type(client: Client, grant_type: str | None) -> None:
    form = {"username": "ada@example.com", "password": DEMO_PASSWORD}
    if grant_type is not None:
        form["grant_type"] = grant_type
    response = client.post("/api/token", data=form)
    assert response.status_code == 400
    assert response.get_json()["error"] == "unsupported_grant_type"


def test_it_asks_a_two_factor_member_for_a_code(client: Client) -> None:
    missing = sign_in(client, "grace@example.com")
    wrong = sign_in(client, "grace@example.com", totp="000000")
    assert missing.status_code == wrong.status_code == 400
    assert missing.get_json()["error"] == "two_factor_auth_check"
    assert wrong.get_json()["error"] == "two_factor_auth_check"
    assert sign_in(client, "grace@example.com", totp="123456").status_code == 200


def test_it_checks_the_password_before_the_two_factor_code(client: Client) -> None:
    response = client.post(
        "/api/token",
        data={"grant_type": "password", "username": "grace@example.com", "password": "nope"},
    )
    assert response.get_json()["error"] == "invalid_grant"


def test_it_sends_a_must_reset_member_to_reset_their_password(client: Client) -> None:
    response = sign_in(client, "alan@example.com")
    assert response.status_code == 400
    assert response.get_json()["error"] == "must_reset_password"


def test_it_hides_must_reset_behind_a_wrong_password(client: Client) -> None:
    response = client.post(
        "/api/token",
        data={"grant_type": "password", "username": "alan@example.com", "password": "x"},
    )
    assert response.get_json()["error"] == "invalid_grant"


def test_it_rotates_the_refresh_token_and_kills_the_old_one(
    client: Client, member: SignedIn
) -> None:
    first = refresh(client, member.refresh_token, member.client_id)
    assert first.status_code == 200
    new = first.get_json()
    assert new["refresh_token"] != member.refresh_token
    assert new["access_token"] != member.access_token

    replay = refresh(client, member.refresh_token, member.client_id)
    assert replay.status_code == 400
    assert replay.get_json()["error"] == "invalid_grant"
    assert refresh(client, new["refresh_token"], member.client_id).status_code == 200


def test_it_keeps_old_access_tokens_valid_after_a_refresh(client: Client, member: SignedIn) -> None:
    assert refresh(client, member.refresh_token, member.client_id).status_code == 200
    response = client.get("/api/public/coworkers/profiles", headers=member.headers)
    assert response.status_code == 200


def test_it_keeps_one_refresh_token_per_client_id(client: Client, app: SandboxApp) -> None:
    laptop = signed_in(client, app, "ada@example.com", client_id="laptop")
    phone = signed_in(client, app, "ada@example.com", client_id="phone")
    laptop_again = signed_in(client, app, "ada@example.com", client_id="laptop")

    assert refresh(client, laptop.refresh_token, "laptop").get_json()["error"] == "invalid_grant"
    assert refresh(client, phone.refresh_token, "phone").status_code == 200
    assert refresh(client, laptop_again.refresh_token, "laptop").status_code == 200
    # The first laptop access token is still good until it expires.
    assert client.get("/api/public/coworkers/profiles", headers=laptop.headers).status_code == 200


def test_it_uses_the_email_as_client_id_when_none_was_given(
    client: Client, member: SignedIn
) -> None:
    assert refresh(client, member.refresh_token, "ada@example.com").status_code == 200


@pytest.mark.parametrize("client_id", [None, "", "someone-else"])
def test_it_refuses_a_refresh_without_the_login_client_id(
    client: Client, app: SandboxApp, client_id: str | None
) -> None:
    ada = signed_in(client, app, "ada@example.com", client_id="portal")
    response = refresh(client, ada.refresh_token, client_id)
    assert response.status_code == 400
    assert response.get_json()["error"] == "invalid_grant"
    # A refused attempt does not burn the token.
    assert refresh(client, ada.refresh_token, "portal").status_code == 200


def test_it_refuses_an_unknown_refresh_token(client: Client) -> None:
    assert refresh(client, "made-up", "ada@example.com").get_json()["error"] == "invalid_grant"


def test_it_expires_refresh_tokens_after_fifteen_days(
    client: Client, app: SandboxApp, member: SignedIn
) -> None:
    app.clock.advance(15 * 86400 + 1)
    assert refresh(client, member.refresh_token, member.client_id).status_code == 400


def test_it_expires_access_tokens_per_the_lifetime_knob(client: Client, app: SandboxApp) -> None:
    app.knobs.update(access_token_lifetime=30)
    ada = signed_in(client, app, "ada@example.com")
    assert sign_in(client, "ada@example.com").get_json()["expires_in"] == 30
    assert client.get("/api/public/coworkers/profiles", headers=ada.headers).status_code == 200
    app.clock.advance(31)
    expired = client.get("/api/public/coworkers/profiles", headers=ada.headers)
    assert expired.status_code == 401
    assert expired.data == b""


@pytest.mark.parametrize(
    "authorization", [None, "", "Bearer", "Bearer nope", "Basic YWRhOmRlbW8=", "nope"]
)
def test_it_answers_an_empty_401_without_a_valid_bearer(
    client: Client, authorization: str | None
) -> None:
    headers = {"Authorization": authorization} if authorization is not None else {}
    paths = [
        "/api/public/coworkers/profiles",
        "/api/auth/media/customer",
        "/api/public/billing/invoices/my",
        "/api/public/billing/invoices/30001",
    ]
    if authorization is not None:
        # Without any Authorization header the business answers with its public data.
        paths.append("/api/public/businesses/current")
    for path in paths:
        response = client.get(path, headers=headers)
        assert response.status_code == 401, path
        assert response.data == b""


def _claims(jwt: str) -> dict:
    header, payload, signature = jwt.split(".")
    assert json.loads(base64.urlsafe_b64decode(header + "==")) == {"alg": "HS256", "typ": "JWT"}
    assert signature
    return json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))


def test_it_issues_a_media_jwt_that_lives_sixty_seconds(
    client: Client, app: SandboxApp, member: SignedIn
) -> None:
    response = client.get("/api/auth/media/customer", headers=member.headers)
    assert response.status_code == 200
    jwt = response.get_json()["jwt"]
    claims = _claims(jwt)
    assert claims["sub"] == str(ADA_ID)
    assert claims["exp"] - app.clock.timestamp() == pytest.approx(60, abs=1.5)

    pdf = f"/api/public/billing/invoices/30001/pdf?t={jwt}"
    assert client.get(pdf).status_code == 200
    app.clock.advance(61)
    expired = client.get(pdf)
    assert expired.status_code == 401
    assert expired.data == b""


def test_it_serves_a_password_recovery_page_so_the_demo_link_is_not_dead(client: Client) -> None:
    response = client.get("/password-recovery")
    assert response.status_code == 200
    assert "Password recovery" in response.get_data(as_text=True)
