"""Which hosts a member's PDF link may go to when NEXUDUS_TRUSTED_HOSTS is not set: the API's
own and the member's own locations, never any other Nexudus tenant."""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest
from django.conf import settings as loaded_settings

from nexudus.links import invoice_pdf_url, location_host, trusted_host

BASE_HOST = "myspace.spaces.nexudus.com"
# What the settings say when the environment sets nothing (the suite sets nothing).
DEFAULT_TRUSTED_HOSTS = list(loaded_settings.NEXUDUS_TRUSTED_HOSTS)


@pytest.fixture(autouse=True)
def nexudus(settings) -> None:
    settings.NEXUDUS_BASE_URL = f"https://{BASE_HOST}"
    settings.NEXUDUS_TRUSTED_HOSTS = DEFAULT_TRUSTED_HOSTS


def test_by_default_no_tenant_wildcard_is_trusted() -> None:
    assert DEFAULT_TRUSTED_HOSTS == []
    assert trusted_host("othertenant.spaces.nexudus.com") == BASE_HOST


def test_an_invoice_naming_another_tenant_keeps_the_media_token_at_home() -> None:
    url = invoice_pdf_url(
        7, "media-jwt", "othertenant.spaces.nexudus.com", ("london.spaces.nexudus.com",)
    )
    assert urlsplit(url).netloc == BASE_HOST


def test_the_members_own_locations_are_trusted() -> None:
    own = ("london.spaces.nexudus.com", "lisboa.spaces.nexudus.com")
    assert trusted_host("lisboa.spaces.nexudus.com", own) == "lisboa.spaces.nexudus.com"
    assert trusted_host("LISBOA", own) == "lisboa.spaces.nexudus.com"
    assert trusted_host(BASE_HOST, own) == BASE_HOST


@pytest.mark.parametrize(
    "web_address, host",
    [
        ("myspace", "myspace.spaces.nexudus.com"),
        ("MySpace", "myspace.spaces.nexudus.com"),
        ("myspace.spaces.nexudus.com", "myspace.spaces.nexudus.com"),
        ("https://myspace.spaces.nexudus.com", "myspace.spaces.nexudus.com"),
        ("127.0.0.1:8001", "127.0.0.1:8001"),
        ("localhost:8001", "localhost:8001"),
        ("my space", ""),
        ("evil.example/path", ""),
        ("*", ""),
        ("*.spaces.nexudus.com", ""),
        ("", ""),
        (None, ""),
    ],
)
def test_a_web_address_without_a_dot_is_a_spaces_subdomain(web_address, host) -> None:
    assert location_host(web_address) == host


def test_the_setting_still_overrides_when_it_is_set(settings) -> None:
    settings.NEXUDUS_TRUSTED_HOSTS = [BASE_HOST, "*.spaces.nexudus.com"]
    assert trusted_host("othertenant.spaces.nexudus.com") == "othertenant.spaces.nexudus.com"
    # ...and then it is the whole list: the member's hosts are not added to it.
    assert trusted_host("portal.example.org", ("portal.example.org",)) == BASE_HOST
