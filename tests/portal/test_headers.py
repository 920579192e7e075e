"""The header contract on every kind of response, and Django's own deployment check."""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest
from django.test import Client

pytestmark = pytest.mark.django_db
ROOT = Path(__file__).resolve().parents[2]


def _manage(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    """`manage.py` in a process of its own, so settings are read afresh from `env`."""
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )


def test_check_deploy_is_clean_with_production_settings() -> None:
    env = {
        **os.environ,
        "DJANGO_DEBUG": "0",
        "DJANGO_SECRET_KEY": secrets.token_urlsafe(50),
        "DJANGO_ALLOWED_HOSTS": "portal.example.com",
        "NEXUDUS_BASE_URL": "https://myspace.spaces.nexudus.com",
    }
    env.pop("DJANGO_SECURE_SSL_REDIRECT", None)
    result = _manage("check", "--deploy", "--fail-level", "WARNING", env=env)
    assert result.returncode == 0, result.stdout + result.stderr


def test_settings_refuse_to_start_without_a_secret_key_when_debug_is_off() -> None:
    env = {**os.environ, "DJANGO_DEBUG": "0", "DJANGO_SECRET_KEY": ""}
    result = _manage("check", env=env)
    assert result.returncode != 0
    assert "DJANGO_SECRET_KEY is required" in result.stderr


@pytest.mark.parametrize(
    "name, value", [("DJANGO_DEBUG", "maybe"), ("NEXUDUS_BASE_URL", "ftp://x")]
)
def test_settings_fail_loudly_on_a_bad_value(name: str, value: str) -> None:
    env = {**os.environ, name: value}
    result = _manage("check", env=env)
    assert result.returncode != 0
    assert name in result.stderr


def _assert_security_headers(response) -> None:
    policy = response["Content-Security-Policy"]
    assert "default-src 'none'" in policy
    assert "frame-ancestors 'none'" in policy
    assert "object-src 'none'" in policy
    assert "base-uri 'none'" in policy
    assert "form-action 'self'" in policy
    assert "unsafe-inline" not in policy
    assert "unsafe-eval" not in policy
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"
    assert response["Cross-Origin-Opener-Policy"] == "same-origin"


@pytest.mark.parametrize("path", ["/login/", "/healthz", "/", "/no-such-page/", "/logout/"])
def test_every_response_carries_the_security_headers(client: Client, sandbox, path) -> None:
    _assert_security_headers(client.get(path))


@pytest.mark.parametrize("path", ["/", "/no-such-page/"])
def test_member_pages_and_htmx_requests_carry_the_headers(signed_in_member, path) -> None:
    _assert_security_headers(signed_in_member.get(path))
    _assert_security_headers(signed_in_member.get(path, HTTP_HX_REQUEST="true"))


def test_https_responses_carry_hsts_for_a_year_with_subdomains(client: Client) -> None:
    response = client.get("/healthz", secure=True)
    assert response["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains; preload"


def test_the_session_cookie_is_host_only_secure_httponly_and_lax(client, sandbox, member) -> None:
    client.get("/login/")
    client.post("/login/", {"email": member.email, "password": member.password})
    cookie = client.cookies["__Host-portal-session"]
    assert cookie["secure"]
    assert cookie["httponly"]
    assert cookie["samesite"] == "Lax"
    assert cookie["path"] == "/"
    assert not cookie["domain"]
    csrf = client.cookies["__Host-portal-csrf"]
    assert csrf["secure"]
    assert csrf["samesite"] == "Lax"


def test_an_unknown_host_gets_400(client: Client) -> None:
    response = client.get("/login/", HTTP_HOST="evil.example")
    assert response.status_code == 400
    assert "We could not understand that request" in response.content.decode()


def test_a_failing_view_gets_the_styled_500_page_without_details(settings) -> None:
    settings.ROOT_URLCONF = "tests.portal.boom_urls"
    browser = Client(raise_request_exception=False)
    response = browser.get("/boom/")
    page = response.content.decode()
    assert response.status_code == 500
    assert "Something went wrong on our side" in page
    assert "secret-detail-that-must-not-leak" not in page
    assert "Traceback" not in page
    _assert_security_headers(response)


def test_robots_are_kept_out_and_the_favicon_is_found(client: Client) -> None:
    robots = client.get("/robots.txt")
    assert robots.status_code == 200
    assert "Disallow: /" in robots.content.decode()
    favicon = client.get("/favicon.ico")
    assert favicon.status_code == 301
    assert favicon["Location"].startswith("/static/img/favicon")


def test_redis_url_moves_cache_and_sessions_to_redis() -> None:
    script = (
        "from django.conf import settings; "
        "print(settings.SESSION_ENGINE, settings.CACHES['default']['BACKEND'])"
    )
    env = {**os.environ, "REDIS_URL": "redis://127.0.0.1:6379/0"}
    result = _manage("shell", "-c", script, env=env)
    assert "web.sessions" in result.stdout
    assert "django.core.cache.backends.redis.RedisCache" in result.stdout
    env.pop("REDIS_URL")
    default = _manage("shell", "-c", script, env=env)
    assert "web.db_sessions" in default.stdout
    assert "signed_cookies" not in default.stdout
