"""Links to Nexudus documents: only trusted hosts, the base URL's scheme, every part encoded."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest

from nexudus.links import guest_pdf_url, invoice_pdf_url, statement_pdf_url, trusted_host

BASE_HOST = "base.spaces.nexudus.com"
INVOICES = "/api/public/billing/invoices"


@pytest.fixture(autouse=True)
def nexudus(settings) -> None:
    settings.NEXUDUS_BASE_URL = f"https://{BASE_HOST}"
    settings.NEXUDUS_TRUSTED_HOSTS = [BASE_HOST, "*.SPACES.nexudus.com", "portal.example.org:8443"]


def _query(url: str) -> dict[str, list[str]]:
    return parse_qs(urlsplit(url).query, keep_blank_values=True, strict_parsing=True)


# --- Which host -----------------------------------------------------------------------------------


def test_it_uses_a_business_web_address_that_matches_a_trusted_pattern() -> None:
    assert trusted_host("coworking.spaces.nexudus.com") == "coworking.spaces.nexudus.com"


def test_it_uses_a_trusted_business_web_address_with_its_port() -> None:
    assert trusted_host("portal.example.org:8443") == "portal.example.org:8443"


def test_it_matches_trusted_patterns_whatever_the_case() -> None:
    assert trusted_host("CoWorking.Spaces.NEXUDUS.com") == "coworking.spaces.nexudus.com"


def test_it_falls_back_to_the_base_host_for_an_untrusted_address() -> None:
    assert trusted_host("evil.example") == BASE_HOST


def test_it_does_not_trust_a_trusted_host_on_another_port() -> None:
    assert trusted_host("portal.example.org:9999") == BASE_HOST


@pytest.mark.parametrize(
    "web_address",
    [
        "evil.example/path",
        "coworking.spaces.nexudus.com/path",
        "user@evil.example",
        "evil@coworking.spaces.nexudus.com",
        "evil.example:80@x",
        "coworking.spaces.nexudus.com:80@evil.example",
        "javascript:alert(1)",
        "//evil.example",
        "//coworking.spaces.nexudus.com",
        "coworking.spaces .nexudus.com",
        "coworking.spaces.nexudus.com evil.example",
        "coworking.spaces.nexudus.com\r\nSet-Cookie: a=b",
        "evil.example\r\n.spaces.nexudus.com",
        "a.spaces.nexudus.com.evil.example",
        "https://user@coworking.spaces.nexudus.com",
        "https://evil.example",
        "coworking.spaces.nexudus.com?x=1",
        "coworking.spaces.nexudus.com#x",
        "coworking.spaces.nexudus.com\\@evil.example",
        "",
        "   ",
        None,
    ],
)
def test_it_falls_back_to_the_base_host_for_anything_but_a_bare_trusted_host(web_address) -> None:
    assert trusted_host(web_address) == BASE_HOST
    assert urlsplit(invoice_pdf_url(7, "tok", web_address)).netloc == BASE_HOST


def test_it_takes_only_the_host_of_an_address_written_with_a_scheme() -> None:
    assert trusted_host("https://coworking.spaces.nexudus.com") == "coworking.spaces.nexudus.com"
    url = invoice_pdf_url(7, "tok", "https://coworking.spaces.nexudus.com/some/path?t=other#frag")
    parts = urlsplit(url)
    assert parts.netloc == "coworking.spaces.nexudus.com"
    assert parts.path == f"{INVOICES}/7/pdf"
    assert _query(url) == {"t": ["tok"]}
    assert parts.fragment == ""


# --- Which scheme -------------------------------------------------------------------------------


def test_it_keeps_the_base_urls_https_even_when_the_address_says_http() -> None:
    url = invoice_pdf_url(7, "tok", "http://coworking.spaces.nexudus.com")
    assert url.startswith("https://coworking.spaces.nexudus.com/")


def test_it_keeps_the_base_urls_scheme_whatever_it_is(settings) -> None:
    settings.NEXUDUS_BASE_URL = "http://127.0.0.1:8001"
    url = guest_pdf_url(7, "tok", "https://coworking.spaces.nexudus.com")
    assert urlsplit(url).scheme == "http"
    assert urlsplit(url).netloc == "coworking.spaces.nexudus.com"


@pytest.mark.parametrize("web_address", ["javascript:alert(1)", "javascript://evil.example"])
def test_it_never_lets_an_address_turn_a_link_into_javascript(web_address) -> None:
    url = invoice_pdf_url(7, "tok", web_address)
    assert urlsplit(url).scheme == "https"
    assert "javascript" not in url


# --- Encoding -----------------------------------------------------------------------------------

AWKWARD_TOKENS = [
    "a&t=evil",
    "key=value",
    "before#after",
    "one+two",
    "with spaces in it",
    "<script>alert(1)</script>",
    "ção-€-日本-😀",
    "already%20encoded",
    "a/../b?c",
    '"quoted"\'',
    "&=#+ <>%",
]


@pytest.mark.parametrize("token", AWKWARD_TOKENS)
def test_it_encodes_a_member_token_so_it_comes_back_exactly(token) -> None:
    url = invoice_pdf_url(42, token, "coworking.spaces.nexudus.com")
    parts = urlsplit(url)
    assert (parts.scheme, parts.netloc) == ("https", "coworking.spaces.nexudus.com")
    assert parts.path == f"{INVOICES}/42/pdf"
    assert parts.fragment == ""
    assert _query(url) == {"t": [token]}
    assert url.isascii() and not any(char in url for char in " <>\"'#\r\n")


@pytest.mark.parametrize("token", AWKWARD_TOKENS)
def test_it_encodes_a_guest_token_so_it_comes_back_exactly(token) -> None:
    url = guest_pdf_url(42, token)
    parts = urlsplit(url)
    assert (parts.scheme, parts.netloc) == ("https", BASE_HOST)
    assert parts.path == f"{INVOICES}/42/pdfByToken"
    assert parts.fragment == ""
    assert _query(url) == {"token": [token]}
    assert url.isascii() and not any(char in url for char in " <>\"'#\r\n")


def test_it_accepts_only_a_number_as_the_invoice_id() -> None:
    assert urlsplit(invoice_pdf_url("42", "tok", None)).path == f"{INVOICES}/42/pdf"
    with pytest.raises(ValueError):
        invoice_pdf_url("42/../../admin", "tok", None)
    with pytest.raises(ValueError):
        guest_pdf_url("42?x=1", "tok")


def test_it_points_statements_at_the_base_host() -> None:
    url = statement_pdf_url("a&b=c d")
    parts = urlsplit(url)
    assert (parts.scheme, parts.netloc) == ("https", BASE_HOST)
    assert parts.path == f"{INVOICES}/statements/pdf"
    assert _query(url) == {"t": ["a&b=c d"]}
