"""Gzip for the pages we render, and nothing else.

Django's GZipMiddleware with two limits. Only text is compressed (HTML, the brand stylesheet,
CSV, JSON): PDFs and zips are compressed already, and gzipping them again costs CPU for no
bytes. Answers marked by `web.headers.never_compress` (every `secret_page`: the checkout page
carries the guest's gateway session id in its download link) go out as they are, because a
secret in a compressed body beside attacker-chosen text is what BREACH measures.

Everything else is safe to compress here: Django adds random bytes to each gzip stream
(Heal-the-BREACH) and masks the CSRF token anew on every answer, and member pages hold no token
of ours (Nexudus tokens live only in the server-side session). Static files never reach this:
WhiteNoise answers them first, with its own pre-compressed copies.
"""

from __future__ import annotations

from django.http import HttpRequest, HttpResponseBase
from django.middleware.gzip import GZipMiddleware

COMPRESSIBLE_TYPES = frozenset(
    {"text/html", "text/css", "text/csv", "text/plain", "application/json", "image/svg+xml"}
)


class TextGZipMiddleware(GZipMiddleware):
    def process_response(
        self, request: HttpRequest, response: HttpResponseBase
    ) -> HttpResponseBase:
        if getattr(response, "portal_never_compress", False):
            return response
        content_type = response.get("Content-Type", "").partition(";")[0].strip().lower()
        if content_type not in COMPRESSIBLE_TYPES:
            return response
        return super().process_response(request, response)
