"""Sign-in, sign-out and the pages that need a member, over real HTTP to the sandbox."""

from __future__ import annotations

import logging
import re

import pytest
from django.test import Client

from members import throttle
from tests.conftest import DEMO_TOTP, Person, sign_in

pytestmark = pytest.mark.django_db


def _body(response) -> str:
    return response.content.decode()


def _without_csrf(html: str) -> str:
    html = re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "", html)
    return re.sub(r'"X-CSRFToken": "[^"]+"', "", html)


def test_it_sends_anonymous_visitors_to_sign_in_and_back(client: Client, sandbox) -> None:
    response = client.get("/")
    assert response.status_code == 302
    assert response["Location"] == "/login/?next=%2F"


def test_it_signs_a_member_in_and_greets_them_by_name(client, sandbox, member) -> None:
    response = client.post(
        "/login/", {"email": member.email, "password": member.password}, follow=True
    )
    assert response.status_code == 200
    page = _body(response)
    assert "Hello, Ada Lovelace" in page
    assert "Harbour Works London" in page
    assert "Sign out" in page


def test_it_fetches_the_location_once_at_sign_in_not_per_page(client, sandbox, member) -> None:
    sign_in(client, member)
    for _ in range(3):
        assert client.get("/").status_code == 200
    assert len(sandbox.app.calls("/api/public/businesses/current")) == 1


def test_it_gives_the_member_a_new_session_key_at_sign_in(client, sandbox, member) -> None:
    session = client.session
    session["visited"] = True
    session.save()
    before = client.cookies["__Host-portal-session"].value
    sign_in(client, member)
    after = client.cookies["__Host-portal-session"].value
    assert before != after
    replay = Client()
    replay.cookies["__Host-portal-session"] = before
    assert replay.get("/").status_code == 302


def test_it_asks_for_the_code_without_asking_for_the_password_again(
    client, sandbox, two_factor_member: Person
) -> None:
    response = client.post(
        "/login/", {"email": two_factor_member.email, "password": two_factor_member.password}
    )
    assert response.status_code == 303  # Post/Redirect/Get: the code step is the page's GET
    response = client.get(response["Location"])
    page = _body(response)
    assert response.status_code == 200
    assert 'name="totp"' in page
    assert 'name="password"' not in page
    assert two_factor_member.password not in page

    response = client.post("/login/", {"totp": DEMO_TOTP}, follow=True)
    assert "Hello, Grace Hopper" in _body(response)


def test_it_keeps_the_code_step_after_a_wrong_code(client, sandbox, two_factor_member) -> None:
    client.post("/login/", {"email": two_factor_member.email, "password": "demo-pass-1"})
    response = client.post("/login/", {"totp": "000000"})
    assert response.status_code == 400
    assert "That code did not work" in _body(response)
    assert 'name="totp"' in _body(response)
    assert client.get("/").status_code == 302


def test_it_refuses_a_code_that_is_not_six_digits_without_calling_nexudus(
    client, sandbox, two_factor_member
) -> None:
    client.post("/login/", {"email": two_factor_member.email, "password": "demo-pass-1"})
    sandbox.app.clear_log()
    response = client.post("/login/", {"totp": "12ab"})
    assert response.status_code == 400
    assert sandbox.app.calls("/api/token") == []


@pytest.mark.parametrize(
    "code",
    ["\u0661\u0662\u0663\u0664\u0665\u0666", "\uff11\uff12\uff13\uff14\uff15\uff16", "12\u0663456"],
    ids=["arabic-indic", "full-width", "one-arabic-indic-digit"],
)
def test_it_refuses_a_code_in_other_digits_without_calling_nexudus(
    client, sandbox, two_factor_member, code
) -> None:
    client.post("/login/", {"email": two_factor_member.email, "password": "demo-pass-1"})
    sandbox.app.clear_log()
    response = client.post("/login/", {"totp": code})
    assert response.status_code == 400
    assert "Enter the 6-digit code" in _body(response)
    assert sandbox.app.calls("/api/token") == []


def test_it_sends_a_member_who_must_reset_to_the_password_reset(
    client, sandbox, must_reset_member
) -> None:
    response = client.post(
        "/login/", {"email": must_reset_member.email, "password": must_reset_member.password}
    )
    page = _body(response)
    assert response.status_code == 400
    assert "Please choose a new password" in page
    assert f'href="{sandbox.url}/password-recovery"' in page


@pytest.mark.parametrize(
    "email, password",
    [
        ("ada@example.com", "wrong-password"),
        ("nobody@example.com", "demo-pass-1"),
        ("suspended@example.com", "demo-pass-1"),
    ],
    ids=["wrong password", "unknown e-mail", "suspended"],
)
def test_it_gives_one_generic_message_for_every_refusal(client, sandbox, email, password) -> None:
    response = client.post("/login/", {"email": email, "password": password})
    assert response.status_code == 400
    assert "do not match an account here" in _body(response)


def test_refusals_look_the_same_whatever_the_reason(client, sandbox) -> None:
    pages = []
    for email, password in [
        ("ada@example.com", "wrong-password"),
        ("nobody@example.com", "demo-pass-1"),
        ("suspended@example.com", "demo-pass-1"),
    ]:
        response = Client().post("/login/", {"email": email, "password": password})
        pages.append(_without_csrf(_body(response)).replace(email, "EMAIL"))
    assert pages[0] == pages[1] == pages[2]


@pytest.mark.parametrize("fault", ["503", "500", "malformed", "html", "reset"])
def test_it_keeps_the_form_when_nexudus_fails_at_sign_in(client, sandbox, member, fault) -> None:
    sandbox.app.knobs.update(fault=fault)
    response = client.post("/login/", {"email": member.email, "password": member.password})
    page = _body(response)
    assert response.status_code == 503
    assert "could not reach the billing system" in page
    assert f'value="{member.email}"' in page
    assert 'name="csrfmiddlewaretoken"' in page


def test_it_answers_in_time_when_nexudus_is_slow_at_sign_in(client, sandbox, member) -> None:
    sandbox.app.knobs.update(latency_ms=5000, fault_path_prefix="/api/token")
    response = client.post("/login/", {"email": member.email, "password": member.password})
    assert response.status_code == 503
    # The sign-in POST is never retried: one attempt, cut by the deadline.
    assert len(sandbox.app.calls("/api/token")) <= 1


@pytest.mark.parametrize(
    "hostile",
    [
        "//evil.example/",
        "/\\evil.example/",
        "https:evil.example",
        "javascript:alert(1)",
        "https://evil.example/",
        "/\tevil",
        "\\\\evil.example",
        "http://testserver.evil.example/",
    ],
)
def test_it_never_follows_a_hostile_next(client, sandbox, member, hostile) -> None:
    response = client.post(
        "/login/", {"email": member.email, "password": member.password, "next": hostile}
    )
    assert response.status_code == 303
    assert response["Location"] == "/"


def test_it_follows_a_local_next(client, sandbox, member) -> None:
    response = client.get("/login/", {"next": "/healthz"})
    assert 'value="/healthz"' in _body(response)
    response = client.post(
        "/login/", {"email": member.email, "password": member.password, "next": "/healthz"}
    )
    assert response["Location"] == "/healthz"


def test_sign_out_is_post_only_and_ends_the_session(signed_in_member: Client) -> None:
    # A GET shows the button (issue 11); only the POST signs out, answered with a 303.
    page = signed_in_member.get("/logout/")
    assert page.status_code == 200
    assert 'action="/logout/"' in _body(page) and 'method="post"' in _body(page)
    assert signed_in_member.get("/").status_code == 200
    response = signed_in_member.post("/logout/")
    assert response.status_code == 303
    assert response["Location"] == "/login/?reason=signed-out"
    assert "cache" in response["Clear-Site-Data"]
    assert signed_in_member.get("/").status_code == 302
    assert "You have signed out" in _body(signed_in_member.get("/login/?reason=signed-out"))


def test_sign_out_works_when_nexudus_is_down(signed_in_member: Client, sandbox) -> None:
    sandbox.app.knobs.update(fault="503")
    assert signed_in_member.post("/logout/").status_code == 303
    assert signed_in_member.get("/").status_code == 302


def test_an_old_session_cookie_is_useless_after_sign_out(client, sandbox, member) -> None:
    sign_in(client, member)
    old_cookie = client.cookies["__Host-portal-session"].value
    client.post("/logout/")
    replay = Client()
    replay.cookies["__Host-portal-session"] = old_cookie
    assert replay.get("/").status_code == 302


def test_a_signed_in_member_visiting_sign_in_goes_to_the_dashboard(signed_in_member) -> None:
    assert signed_in_member.get("/login/")["Location"] == "/"


def test_sign_in_needs_a_csrf_token(sandbox, member) -> None:
    strict = Client(enforce_csrf_checks=True)
    response = strict.post("/login/", {"email": member.email, "password": member.password})
    assert response.status_code == 403
    assert "This form has expired" in _body(response)


def test_it_throttles_an_address_after_ten_failures_without_calling_nexudus(
    client, sandbox, member
) -> None:
    for _ in range(throttle.PER_ACCOUNT.max_count):
        client.post("/login/", {"email": member.email, "password": "wrong"})
    sandbox.app.clear_log()
    response = client.post("/login/", {"email": member.email, "password": member.password})
    assert response.status_code == 429
    assert int(response["Retry-After"]) > 0
    assert "Too many attempts" in _body(response)
    assert sandbox.app.calls("/api/token") == []


def test_the_throttle_ignores_a_spoofed_forwarded_for(client, sandbox, member) -> None:
    for index in range(throttle.PER_ACCOUNT.max_count):
        client.post(
            "/login/",
            {"email": member.email, "password": "wrong"},
            HTTP_X_FORWARDED_FOR=f"10.0.0.{index}",
        )
    response = client.post(
        "/login/",
        {"email": member.email, "password": member.password},
        HTTP_X_FORWARDED_FOR="10.9.9.9",
    )
    assert response.status_code == 429


def test_no_token_or_password_reaches_a_page_or_a_log_line(
    client, sandbox, member, two_factor_member, caplog
) -> None:
    caplog.set_level(logging.DEBUG)
    bodies: list[str] = []
    bodies.append(_body(client.get("/login/")))
    response = client.post("/login/", {"email": member.email, "password": member.password})
    bodies.append(str(response.headers))
    bodies.append(_body(client.get("/")))
    bodies.append(_body(client.post("/logout/", follow=True)))
    other = Client()
    bodies.append(
        _body(other.post("/login/", {"email": two_factor_member.email, "password": "demo-pass-1"}))
    )
    bodies.append(_body(other.post("/login/", {"totp": DEMO_TOTP}, follow=True)))

    secrets = [member.password, *sandbox.app.state.access_tokens, *sandbox.app.state.refresh_tokens]
    assert len(secrets) >= 3
    logged = "\n".join(record.getMessage() for record in caplog.records)
    for secret in secrets:
        for text in [*bodies, logged]:
            assert secret not in text


def test_member_pages_are_never_cached(signed_in_member: Client) -> None:
    response = signed_in_member.get("/")
    assert "no-store" in response["Cache-Control"]
    assert "private" in response["Cache-Control"]


def test_healthz_is_public_and_calls_nothing(client: Client, sandbox) -> None:
    response = client.get("/healthz")
    assert response.status_code == 200
    assert sandbox.app.log == []
