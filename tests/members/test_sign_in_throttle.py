"""Sign-in throttling stops guessing, not members: device cookies, reserved slots, a slow-down
per address instead of a lock-out, and one spelling per account."""

from __future__ import annotations

import threading
from dataclasses import replace

import pytest
from django.conf import settings
from django.core import signing
from django.test import Client

import nexudus
from members import throttle
from tests.conftest import Person, sign_in

pytestmark = pytest.mark.django_db(transaction=True)

DEVICE_COOKIE = "__Host-portal-device"


def _wrong(browser: Client, email: str, **headers: str):
    return browser.post("/login/", {"email": email, "password": "not-the-password"}, **headers)


def _attack(email: str) -> Client:
    """Ten wrong guesses from a browser that never signed in: the account's unknown-browser
    budget for this window is spent."""
    attacker = Client()
    for _ in range(throttle.PER_ACCOUNT.max_count):
        assert _wrong(attacker, email).status_code == 400
    return attacker


def _token_calls(sandbox) -> int:
    return len(sandbox.app.calls("/api/token"))


@pytest.fixture
def members_own_browser(sandbox, member: Person) -> Client:
    """The member's laptop: it signed in once (and so carries a device cookie), then out."""
    browser = Client()
    sign_in(browser, member)
    browser.post("/logout/")
    return browser


def test_a_members_own_browser_signs_in_during_an_attack_on_the_account(
    members_own_browser: Client, sandbox, member
) -> None:
    attacker = _attack(member.email)
    for _ in range(5):
        assert _wrong(attacker, member.email).status_code == 429

    response = members_own_browser.post(
        "/login/", {"email": member.email, "password": member.password}
    )
    assert response.status_code == 303
    assert members_own_browser.get("/").status_code == 200


def test_an_unknown_browser_is_refused_during_the_attack_without_calling_nexudus(
    members_own_browser, sandbox, member
) -> None:
    _attack(member.email)
    sandbox.app.clear_log()
    response = Client().post("/login/", {"email": member.email, "password": member.password})
    assert response.status_code == 429
    assert 0 < int(response["Retry-After"]) <= throttle.PER_ACCOUNT.window_seconds
    assert _token_calls(sandbox) == 0


def test_the_own_browser_counts_its_own_failures_apart(
    members_own_browser: Client, sandbox, member
) -> None:
    for _ in range(throttle.PER_DEVICE.max_count):
        assert _wrong(members_own_browser, member.email).status_code == 400
    sandbox.app.clear_log()
    response = members_own_browser.post(
        "/login/", {"email": member.email, "password": member.password}
    )
    assert response.status_code == 429
    assert _token_calls(sandbox) == 0
    # Its typos cost no one else anything: another browser still gets its own ten tries.
    assert Client().post("/login/", {"email": member.email, "password": member.password})[
        "Location"
    ] == ("/")


def test_a_device_cookie_helps_only_the_account_it_signed_in_to(
    members_own_browser: Client, sandbox, two_factor_member
) -> None:
    _attack(two_factor_member.email)
    response = members_own_browser.post(
        "/login/", {"email": two_factor_member.email, "password": two_factor_member.password}
    )
    assert response.status_code == 429


def test_a_forged_or_copied_device_cookie_is_no_device_at_all(
    members_own_browser: Client, sandbox, member
) -> None:
    _attack(member.email)
    forged = Client()
    value = signing.dumps({"n": "x", "a": ["0" * 32]}, salt="members.throttle.device")
    forged.cookies[DEVICE_COOKIE] = value
    assert (
        forged.post("/login/", {"email": member.email, "password": member.password}).status_code
        == 429
    )
    tampered = Client()
    tampered.cookies[DEVICE_COOKIE] = members_own_browser.cookies[DEVICE_COOKIE].value + "x"
    assert (
        tampered.post("/login/", {"email": member.email, "password": member.password}).status_code
        == 429
    )


def test_the_device_cookie_is_host_only_secure_httponly_lax_long_lived_and_names_no_one(
    client: Client, sandbox, member
) -> None:
    sign_in(client, member)
    cookie = client.cookies[DEVICE_COOKIE]
    assert cookie["secure"]
    assert cookie["httponly"]
    assert cookie["samesite"] == "Lax"
    assert cookie["path"] == "/"
    assert not cookie["domain"]
    assert int(cookie["max-age"]) >= 90 * 24 * 3600
    decoded = signing.b64_decode(cookie.value.split(":")[0].encode()).decode(errors="replace")
    assert "ada" not in (cookie.value + decoded).lower()
    assert settings.SIGN_IN_DEVICE_COOKIE_NAME == DEVICE_COOKIE


def test_a_wrong_password_sets_no_device_cookie(client: Client, sandbox, member) -> None:
    _wrong(client, member.email)
    assert DEVICE_COOKIE not in client.cookies


def test_the_account_window_ends_and_unknown_browsers_may_try_again(
    sandbox, member, monkeypatch
) -> None:
    _attack(member.email)
    later = throttle.clock() + throttle.PER_ACCOUNT.window_seconds
    monkeypatch.setattr(throttle, "clock", lambda: later)
    response = Client().post("/login/", {"email": member.email, "password": member.password})
    assert response.status_code == 303


@pytest.mark.parametrize(
    "spelling",
    [
        "ADA@EXAMPLE.COM",
        "  ada@example.com\u3000",  # an ideographic space, which NFKC makes a plain one
        "\uff41\uff44\uff41@example.com",  # full-width "ada"
        "Ada@Example.com",
    ],
)
def test_every_spelling_of_an_address_counts_against_the_one_account(
    sandbox, member, spelling
) -> None:
    attacker = Client()
    for _ in range(throttle.PER_ACCOUNT.max_count):
        _wrong(attacker, spelling)
    sandbox.app.clear_log()
    assert _wrong(Client(), member.email).status_code == 429
    assert _token_calls(sandbox) == 0


def test_account_names_are_normalised_nfkc_and_casefolded() -> None:
    assert throttle.normalise_account_name(" \uff21\uff24\uff21@Example.COM ") == "ada@example.com"
    assert throttle.normalise_account_name("STRASSE@x.de") == throttle.normalise_account_name(
        "straße@x.de"
    )
    assert throttle.Account.member("ADA@example.com") == throttle.Account.member("ada@example.com")
    assert "ada" not in repr(throttle.Account.member("ada@example.com"))


def _add_members(sandbox, count: int) -> list[Person]:
    """`count` more members in the sandbox, copies of Ada under addresses of their own."""
    data = sandbox.app.state.data
    ada = data.person_by_email("ada@example.com")
    people = []
    with sandbox.app.state.lock:
        for index in range(count):
            pid = 90_000 + index
            email = f"member{index}@example.com"
            data.people[pid] = replace(ada, id=pid, user_id=pid + 2000, email=email)
            data._by_email[email] = pid
            people.append(Person(email, full_name=ada.full_name))
    return people


@pytest.mark.timeout(300)
def test_fifty_members_sign_in_from_one_address_in_a_minute(sandbox) -> None:
    # A coworking space behind one NAT on a Monday morning: each member mistypes once.
    for person in _add_members(sandbox, 50):
        browser = Client()
        assert _wrong(browser, person.email).status_code == 400
        response = browser.post("/login/", {"email": person.email, "password": person.password})
        assert response.status_code == 303, person.email


def test_past_the_address_limit_sign_in_slows_down_instead_of_locking(sandbox, monkeypatch) -> None:
    monkeypatch.setattr(throttle, "PER_ADDRESS", throttle.Limit("address", 3, 3600))
    for index in range(3):
        assert _wrong(Client(), f"sprayed{index}@example.com").status_code == 400
    # Over the limit, one attempt still goes through now and then...
    assert _wrong(Client(), "sprayed-a@example.com").status_code == 400
    # ...and the next waits seconds, not an hour.
    sandbox.app.clear_log()
    response = _wrong(Client(), "sprayed-b@example.com")
    assert response.status_code == 429
    assert 0 < int(response["Retry-After"]) <= throttle.SLOW_SECONDS
    assert _token_calls(sandbox) == 0


def test_the_address_limit_counts_failures_only(sandbox, member, monkeypatch) -> None:
    monkeypatch.setattr(throttle, "PER_ADDRESS", throttle.Limit("address", 3, 3600))
    for _ in range(6):
        browser = Client()
        assert (
            browser.post("/login/", {"email": member.email, "password": member.password})[
                "Location"
            ]
            == "/"
        )


def test_forty_parallel_wrong_guesses_cost_at_most_ten_upstream_calls(sandbox, member) -> None:
    sandbox.app.knobs.update(latency_ms=50, fault_path_prefix="/api/token")
    sandbox.app.clear_log()
    statuses: list[int] = []
    start = threading.Barrier(40)

    def guess() -> None:
        browser = Client()
        start.wait()
        statuses.append(_wrong(browser, member.email).status_code)

    threads = [threading.Thread(target=guess) for _ in range(40)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert len(statuses) == 40
    assert _token_calls(sandbox) <= throttle.PER_ACCOUNT.max_count
    assert statuses.count(400) <= throttle.PER_ACCOUNT.max_count
    assert statuses.count(429) >= 40 - throttle.PER_ACCOUNT.max_count


def test_an_outage_or_a_right_password_gives_the_slot_back(sandbox, member) -> None:
    sandbox.app.knobs.update(fault="503", fault_path_prefix="/api/token")
    for _ in range(throttle.PER_ACCOUNT.max_count + 2):
        assert Client().post("/login/", {"email": member.email, "password": "x"}).status_code == 503
    sandbox.app.knobs.update(fault=None)
    # The outage opened the circuit to Nexudus; let its cool-down pass at once.
    nexudus.default_api().transport.forget_hosts()
    for _ in range(throttle.PER_ACCOUNT.max_count + 2):
        sign_in(Client(), member)


def test_a_call_cut_off_on_the_way_counts_as_a_guess(sandbox, member) -> None:
    # Nexudus may have checked the password before the answer was lost.
    sandbox.app.knobs.update(fault="reset", fault_path_prefix="/api/token")
    for _ in range(throttle.PER_ACCOUNT.max_count):
        assert Client().post("/login/", {"email": member.email, "password": "x"}).status_code == 503
    sandbox.app.knobs.update(fault=None)
    sandbox.app.clear_log()
    assert _wrong(Client(), member.email).status_code == 429
    assert _token_calls(sandbox) == 0
