"""The one place that builds links to Nexudus documents (invoice PDFs, statements).

A link's host is the issuing location's `BusinessWebAddress` when it is one we trust, else the
host of `NEXUDUS_BASE_URL`; its scheme is always the base URL's, so upstream data can never turn
a link into `javascript:` or plain HTTP. Every part is URL-encoded.
"""

from __future__ import annotations

import re
from fnmatch import fnmatchcase
from urllib.parse import quote, urlencode, urlsplit

from django.conf import settings

INVOICES_PATH = "/api/public/billing/invoices"
_LABEL = r"[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?"
_HOST = re.compile(rf"{_LABEL}(?:\.{_LABEL})*(?::\d{{1,5}})?")


def trusted_host(web_address: str | None) -> str:
    """The host a link may use for an invoice issued by `web_address`."""
    base = urlsplit(settings.NEXUDUS_BASE_URL)
    candidate = _host_of(web_address)
    if candidate and any(
        fnmatchcase(candidate, pattern.lower()) for pattern in settings.NEXUDUS_TRUSTED_HOSTS
    ):
        return candidate
    return base.netloc


def _host_of(web_address: str | None) -> str:
    """`BusinessWebAddress` is a host (maybe with a port), never trusted to be only that."""
    if not web_address:
        return ""
    value = web_address.strip().lower()
    if "://" in value:
        value = urlsplit(value).netloc
    # Anything that is not a bare host[:port] (paths, credentials, spaces) is not a host.
    return value if _HOST.fullmatch(value) else ""


def upstream_url(path: str, query: dict[str, str], web_address: str | None = None) -> str:
    scheme = urlsplit(settings.NEXUDUS_BASE_URL).scheme
    host = trusted_host(web_address)
    return f"{scheme}://{host}{path}?{urlencode(query)}"


def invoice_pdf_url(invoice_id: int, media_token: str, web_address: str | None) -> str:
    """A member's PDF link: lives as long as the media token (about a minute)."""
    path = f"{INVOICES_PATH}/{quote(str(int(invoice_id)), safe='')}/pdf"
    return upstream_url(path, {"t": media_token}, web_address)


def guest_pdf_url(invoice_id: int, gateway_token: str, web_address: str | None = None) -> str:
    """A guest's PDF link, opened by the payment gateway's session id."""
    path = f"{INVOICES_PATH}/{quote(str(int(invoice_id)), safe='')}/pdfByToken"
    return upstream_url(path, {"token": gateway_token}, web_address)


def statement_pdf_url(media_token: str) -> str:
    return upstream_url(f"{INVOICES_PATH}/statements/pdf", {"t": media_token})


def next_invoice_pdf_url(media_token: str) -> str:
    """The preview of the member's next invoice (reference §3b)."""
    return upstream_url(f"{INVOICES_PATH}/draft/pdf", {"t": media_token})


class UntrustedPayLink(ValueError):
    """NEXUDUS_PAY_URL made a link to a host we do not trust: no member is sent there."""


def pay_url(template: str, invoice_id: int, unique_id: str, web_address: str | None) -> str:
    """Where a member pays an invoice: the issuing location's own payment page.

    `template` (NEXUDUS_PAY_URL) names `{web_address}` (the issuing location's trusted host),
    `{invoice_id}` and `{invoice_unique_id}`; every value is URL-encoded and the resulting host
    must be a trusted one, like every other link to Nexudus. No token ever goes in it.
    """
    url = template.format(
        web_address=trusted_host(web_address),
        invoice_id=quote(str(int(invoice_id)), safe=""),
        invoice_unique_id=quote(unique_id, safe=""),
    )
    parts = urlsplit(url)
    if parts.scheme not in {"http", "https"} or not _is_trusted(parts.netloc.lower()):
        raise UntrustedPayLink(parts.netloc)
    return url


def _is_trusted(host: str) -> bool:
    base = urlsplit(settings.NEXUDUS_BASE_URL).netloc.lower()
    patterns = [*settings.NEXUDUS_TRUSTED_HOSTS, base]
    return bool(_HOST.fullmatch(host)) and any(fnmatchcase(host, p.lower()) for p in patterns)
