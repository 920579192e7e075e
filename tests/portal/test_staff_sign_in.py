"""Staff sign-in at /admin/: the members' throttle, and a second factor (TOTP) that superusers
must give when debug is off."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend
from django.core.management import call_command
from django.test import Client
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from members import throttle
from preview.management.commands.create_demo_staff import DEMO_TOTP_KEY

pytestmark = pytest.mark.django_db
ROOT = Path(__file__).resolve().parents[2]
LOGIN = "/admin/login/?next=/admin/"
PASSWORD = "pw-for-tests"


def _code(device: TOTPDevice) -> str:
    """What the authenticator app shows now."""
    return f"{totp(device.bin_key, step=device.step, t0=device.t0, digits=device.digits):06d}"


def _sign_in(browser: Client, username: str, password: str = PASSWORD, code: str = ""):
    return browser.post(LOGIN, {"username": username, "password": password, "otp_token": code})


@pytest.fixture
def superuser():
    return get_user_model().objects.create_superuser("root", "root@example.com", PASSWORD)


@pytest.fixture
def staff():
    return get_user_model().objects.create_user("pat", password=PASSWORD, is_staff=True)


@pytest.fixture
def authenticator(superuser) -> TOTPDevice:
    return TOTPDevice.objects.create(user=superuser, name="phone", confirmed=True)


def test_the_second_factor_is_required_for_superusers_when_debug_is_off(settings) -> None:
    # The suite runs the production settings (DJANGO_DEBUG=0).
    assert settings.SUPERUSER_OTP_REQUIRED is True
    script = "from django.conf import settings; print(settings.SUPERUSER_OTP_REQUIRED)"
    env = {**os.environ, "DJANGO_DEBUG": "1"}
    result = subprocess.run(
        [sys.executable, "manage.py", "shell", "-c", script],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    assert result.stdout.strip().splitlines()[-1] == "False"


def test_a_superuser_without_a_code_is_refused(client: Client, authenticator) -> None:
    response = _sign_in(client, "root")
    assert response.status_code == 200
    assert "authenticator code" in response.content.decode()
    assert client.get("/admin/").status_code == 302


def test_a_superuser_with_a_wrong_code_is_refused(client: Client, authenticator) -> None:
    wrong = f"{(int(_code(authenticator)) + 1) % 1_000_000:06d}"
    assert _sign_in(client, "root", code=wrong).status_code == 200
    assert client.get("/admin/").status_code == 302


def test_a_superuser_with_the_code_reaches_the_admin(client: Client, authenticator) -> None:
    response = _sign_in(client, "root", code=_code(authenticator))
    assert response.status_code == 302
    assert response["Location"] == "/admin/"
    assert client.get("/admin/").status_code == 200


def test_a_superuser_without_a_device_cannot_sign_in_when_it_is_required(
    client: Client, superuser
) -> None:
    assert _sign_in(client, "root").status_code == 200
    assert client.get("/admin/").status_code == 302


@pytest.mark.parametrize("zero", ["\u0660", "\uff10"], ids=["arabic-indic", "full-width"])
def test_the_right_code_in_other_digits_is_refused(client: Client, authenticator, zero) -> None:
    # int() would read these as the right number: only ASCII digits are a code.
    lookalike = "".join(chr(ord(zero) + int(digit)) for digit in _code(authenticator))
    assert _sign_in(client, "root", code=lookalike).status_code == 200
    assert client.get("/admin/").status_code == 302


def test_a_superuser_session_that_skipped_the_code_is_not_let_into_the_admin(
    client: Client, superuser
) -> None:
    client.force_login(superuser)
    response = client.get("/admin/")
    assert response.status_code == 302
    assert response["Location"].startswith("/admin/login/")


def test_with_debug_on_a_superuser_signs_in_with_a_password_alone(
    client: Client, superuser, settings
) -> None:
    settings.SUPERUSER_OTP_REQUIRED = False
    assert _sign_in(client, "root")["Location"] == "/admin/"
    assert client.get("/admin/").status_code == 200


def test_whoever_enrolled_a_device_always_gives_its_code(client: Client, staff, settings) -> None:
    settings.SUPERUSER_OTP_REQUIRED = False
    device = TOTPDevice.objects.create(user=staff, name="phone", confirmed=True)
    assert _sign_in(client, "pat").status_code == 200
    assert _sign_in(client, "pat", code=_code(device))["Location"] == "/admin/"


def test_staff_who_are_not_superusers_need_no_code(client: Client, staff) -> None:
    assert _sign_in(client, "pat")["Location"] == "/admin/"


@pytest.fixture
def password_checks(monkeypatch) -> list[str]:
    """Each time Django checks a password (the cost a guess has here)."""
    checked: list[str] = []
    original = ModelBackend.authenticate

    def counting(self, request, username=None, password=None, **kwargs):
        checked.append(username)
        return original(self, request, username=username, password=password, **kwargs)

    monkeypatch.setattr(ModelBackend, "authenticate", counting)
    return checked


def test_staff_sign_in_is_throttled_after_ten_failures(
    client: Client, staff, password_checks
) -> None:
    for _ in range(throttle.PER_ACCOUNT.max_count):
        assert _sign_in(client, "pat", password="wrong").status_code == 200
    password_checks.clear()
    response = _sign_in(Client(), "PAT")  # the right password, another spelling
    assert response.status_code == 429
    assert 0 < int(response["Retry-After"]) <= throttle.PER_ACCOUNT.window_seconds
    assert "Too many attempts" in response.content.decode()
    assert password_checks == []


def test_a_staff_members_own_browser_signs_in_during_an_attack(staff) -> None:
    own = Client()
    assert _sign_in(own, "pat")["Location"] == "/admin/"
    own.post("/admin/logout/")
    attacker = Client()
    for _ in range(throttle.PER_ACCOUNT.max_count + 1):
        _sign_in(attacker, "pat", password="wrong")
    assert _sign_in(attacker, "pat").status_code == 429
    assert _sign_in(own, "pat")["Location"] == "/admin/"


def test_wrong_codes_count_as_failures(client: Client, authenticator) -> None:
    for _ in range(throttle.PER_ACCOUNT.max_count):
        _sign_in(client, "root", code="000000")
    assert _sign_in(client, "root", code=_code(authenticator)).status_code == 429


def test_enrol_totp_gives_a_staff_account_a_device_and_prints_its_secret_once(
    staff, capsys
) -> None:
    call_command("enrol_totp", "pat")
    device = TOTPDevice.objects.get(user=staff)
    out = capsys.readouterr().out
    assert device.confirmed
    assert out.count("otpauth://totp/") == 1
    browser = Client()
    assert _sign_in(browser, "pat").status_code == 200
    assert _sign_in(browser, "pat", code=_code(device))["Location"] == "/admin/"


def test_enrol_totp_replace_drops_the_lost_device(staff) -> None:
    call_command("enrol_totp", "pat")
    call_command("enrol_totp", "pat", "--replace")
    assert TOTPDevice.objects.filter(user=staff).count() == 1


def test_the_demo_staff_gets_the_test_key_only_when_a_code_is_required(sandbox, settings) -> None:
    call_command("create_demo_staff")
    demo = TOTPDevice.objects.get(user__username="staff")
    assert demo.key == DEMO_TOTP_KEY
    assert _sign_in(Client(), "staff", "demo-pass-1", _code(demo))["Location"] == "/admin/"

    settings.SUPERUSER_OTP_REQUIRED = False
    call_command("create_demo_staff")
    assert not TOTPDevice.objects.filter(user__username="staff").exists()
    assert _sign_in(Client(), "staff", "demo-pass-1")["Location"] == "/admin/"
