"""Issue 15: HTML goes out gzipped; secrets, PDFs and static files do not go through it."""

from __future__ import annotations

import gzip

import pytest
from django.http import HttpResponse
from django.templatetags.static import static
from django.test import Client, RequestFactory
from whitenoise.middleware import WhiteNoiseFileResponse

from sandbox.data import GUEST_CHECKOUTS
from web.compression import TextGZipMiddleware
from web.headers import never_compress

pytestmark = pytest.mark.django_db

GZIP = {"HTTP_ACCEPT_ENCODING": "gzip, deflate, br"}


def test_a_member_page_is_gzipped_and_varies_on_accept_encoding(signed_in_member: Client) -> None:
    plain = signed_in_member.get("/invoices/")
    packed = signed_in_member.get("/invoices/", **GZIP)
    assert packed.status_code == plain.status_code == 200
    assert packed["Content-Encoding"] == "gzip"
    assert "Accept-Encoding" in packed["Vary"]
    assert "Content-Encoding" not in plain
    html = gzip.decompress(packed.content).decode()
    assert "<h1" in html and "Ada" in html
    assert len(packed.content) * 3 < len(plain.content)


def test_the_sign_in_page_is_gzipped(client: Client) -> None:
    response = client.get("/login/", **GZIP)
    assert response["Content-Encoding"] == "gzip"
    assert b"csrfmiddlewaretoken" in gzip.decompress(response.content)


def test_the_checkout_page_carries_a_secret_and_is_sent_uncompressed(
    client: Client, sandbox
) -> None:
    invoice_id, session_id, _ = GUEST_CHECKOUTS["stripe"]
    url = f"/checkout/complete/{invoice_id}/?stripe_session_id={session_id}"
    response = client.get(url, follow=True, **GZIP)
    assert response.status_code == 200
    assert "Content-Encoding" not in response
    assert b"Your payment went through" in response.content


@pytest.mark.parametrize(
    ("content_type", "compressed"),
    [
        ("text/html; charset=utf-8", True),
        ("text/csv; charset=utf-8", True),
        ("application/json", True),
        ("application/pdf", False),
        ("application/zip", False),
        ("image/png", False),
    ],
)
def test_only_text_is_compressed(content_type: str, compressed: bool) -> None:
    request = RequestFactory().get("/", **GZIP)
    body = b"a line of text that repeats itself\n" * 100
    middleware = TextGZipMiddleware(lambda r: HttpResponse(body, content_type=content_type))
    response = middleware(request)
    assert (response.get("Content-Encoding") == "gzip") is compressed


def test_a_marked_answer_is_not_compressed() -> None:
    request = RequestFactory().get("/", **GZIP)
    middleware = TextGZipMiddleware(lambda r: never_compress(HttpResponse(b"secret " * 100)))
    assert "Content-Encoding" not in middleware(request)


def test_static_files_are_whitenoise_s_own_pre_compressed_copies(client: Client) -> None:
    response = client.get(static("css/portal.css"), **GZIP)
    assert response.status_code == 200
    # WhiteNoise answers before our middleware, with the .gz it wrote at collectstatic, and
    # keeps its immutable caching: our middleware never saw it.
    assert isinstance(response, WhiteNoiseFileResponse)
    assert response["Content-Encoding"] in {"gzip", "br"}
    assert "immutable" in response["Cache-Control"]
