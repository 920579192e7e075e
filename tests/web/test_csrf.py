"""CSRF: a null Origin only from our own no-referrer pages; the token always counts."""

from __future__ import annotations

import re

import pytest
from django.test import Client

from sandbox.data import GUEST_CHECKOUTS

pytestmark = pytest.mark.django_db

_, SESSION_ID, _ = GUEST_CHECKOUTS["stripe"]
LANDING = f"/checkout/complete/39001/?stripe_session_id={SESSION_ID}"


def _token(browser: Client, path: str) -> str:
    page = browser.get(path).content.decode()
    return re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)


@pytest.fixture
def strict() -> Client:
    return Client(enforce_csrf_checks=True)


def test_a_post_from_the_no_referrer_page_itself_is_accepted(strict, sandbox) -> None:
    token = _token(strict, LANDING)
    response = strict.post(
        LANDING,
        {"csrfmiddlewaretoken": token},
        HTTP_ORIGIN="null",
        HTTP_SEC_FETCH_SITE="same-origin",
    )
    assert response.status_code == 303
    assert "Your account is ready" in strict.get(response["Location"]).content.decode()


@pytest.mark.parametrize("site", ["cross-site", "same-site", "none", None])
def test_a_null_origin_from_elsewhere_is_refused(strict, sandbox, site) -> None:
    token = _token(strict, LANDING)
    headers = {"HTTP_ORIGIN": "null"}
    if site:
        headers["HTTP_SEC_FETCH_SITE"] = site
    response = strict.post(LANDING, {"csrfmiddlewaretoken": token}, **headers)
    assert response.status_code == 403
    assert sandbox.app.writes() == []


def test_the_token_is_still_required(strict, sandbox) -> None:
    strict.get(LANDING)
    response = strict.post(LANDING, HTTP_ORIGIN="null", HTTP_SEC_FETCH_SITE="same-origin")
    assert response.status_code == 403


def test_other_views_never_accept_a_null_origin(strict, sandbox, member) -> None:
    token = _token(strict, "/login/")
    response = strict.post(
        "/login/",
        {"csrfmiddlewaretoken": token, "email": member.email, "password": member.password},
        HTTP_ORIGIN="null",
        HTTP_SEC_FETCH_SITE="same-origin",
    )
    assert response.status_code == 403


def test_a_foreign_origin_is_refused_everywhere(strict, sandbox) -> None:
    token = _token(strict, LANDING)
    response = strict.post(
        LANDING,
        {"csrfmiddlewaretoken": token},
        HTTP_ORIGIN="https://evil.example",
        HTTP_SEC_FETCH_SITE="cross-site",
    )
    assert response.status_code == 403
