"""The one place that builds links to Nexudus documents (invoice PDFs, statements).

A link's host is the issuing location's `BusinessWebAddress` when it is one we trust, else the
host of `NEXUDUS_BASE_URL`; its scheme is always the base URL's, so upstream data can never turn
a link into `javascript:` or plain HTTP. Every part is URL-encoded.

Trusted, by default, are the base URL's host and the member's own locations, learned at
sign-in (`location_host` of their WebAddresses): a member's media JWT rides in the link, and an
invoice naming another Nexudus tenant must not send it there. `NEXUDUS_TRUSTED_HOSTS`, when set,
replaces that list with its own host patterns.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from fnmatch import fnmatchcase
from urllib.parse import quote, urlencode, urlsplit

from django.conf import settings

INVOICES_PATH = "/api/public/billing/invoices"
_LABEL = r"[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?"
_HOST = re.compile(rf"{_LABEL}(?:\.{_LABEL})*(?::[0-9]{{1,5}})?")


# A WebAddress without a dot is a subdomain of this (reference §0).
SPACES_DOMAIN = "spaces.nexudus.com"


def trusted_host(web_address: str | None, member_hosts: Iterable[str] = ()) -> str:
    """The host a link may use for an invoice issued by `web_address`.

    `member_hosts` are the hosts of the member's own locations (see `location_host`).
    """
    base = urlsplit(settings.NEXUDUS_BASE_URL).netloc
    candidate = location_host(web_address)
    if candidate and any(fnmatchcase(candidate, p) for p in _trusted(base, member_hosts)):
        return candidate
    return base


def _trusted(base: str, member_hosts: Iterable[str]) -> list[str]:
    if settings.NEXUDUS_TRUSTED_HOSTS:
        return [pattern.lower() for pattern in settings.NEXUDUS_TRUSTED_HOSTS]
    # Learned hosts went through location_host: no wildcard can hide in them.
    return [base.lower(), *member_hosts]


def location_host(web_address: str | None) -> str:
    """A location's host from its WebAddress: `myspace` is myspace.spaces.nexudus.com, a
    host[:port] stays itself, anything else (paths, credentials, spaces) is no host at all."""
    value = _host_of(web_address)
    if value and "." not in value and ":" not in value:
        return f"{value}.{SPACES_DOMAIN}"
    return value


def _host_of(web_address: str | None) -> str:
    """`BusinessWebAddress` is a host (maybe with a port), never trusted to be only that."""
    if not web_address:
        return ""
    value = web_address.strip().lower()
    if "://" in value:
        value = urlsplit(value).netloc
    # Anything that is not a bare host[:port] (paths, credentials, spaces) is not a host.
    return value if _HOST.fullmatch(value) else ""


def upstream_url(
    path: str,
    query: dict[str, str],
    web_address: str | None = None,
    member_hosts: Iterable[str] = (),
) -> str:
    scheme = urlsplit(settings.NEXUDUS_BASE_URL).scheme
    host = trusted_host(web_address, member_hosts)
    return f"{scheme}://{host}{path}?{urlencode(query)}"


def invoice_pdf_url(
    invoice_id: int,
    media_token: str,
    web_address: str | None,
    member_hosts: Iterable[str] = (),
) -> str:
    """A member's PDF link: lives as long as the media token (about a minute)."""
    path = f"{INVOICES_PATH}/{quote(str(int(invoice_id)), safe='')}/pdf"
    return upstream_url(path, {"t": media_token}, web_address, member_hosts)


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


def pay_url(
    template: str,
    invoice_id: int,
    unique_id: str,
    web_address: str | None,
    member_hosts: Iterable[str] = (),
) -> str:
    """Where a member pays an invoice: the issuing location's own payment page.

    `template` (NEXUDUS_PAY_URL) names `{web_address}` (the issuing location's trusted host),
    `{invoice_id}` and `{invoice_unique_id}`; every value is URL-encoded and the resulting host
    must be a trusted one, like every other link to Nexudus. No token ever goes in it.
    """
    url = template.format(
        web_address=trusted_host(web_address, member_hosts),
        invoice_id=quote(str(int(invoice_id)), safe=""),
        invoice_unique_id=quote(unique_id, safe=""),
    )
    parts = urlsplit(url)
    host = parts.netloc.lower()
    base = urlsplit(settings.NEXUDUS_BASE_URL).netloc
    trusted = _trusted(base, member_hosts)
    if parts.scheme not in {"http", "https"} or not _HOST.fullmatch(host):
        raise UntrustedPayLink(host)
    if not any(fnmatchcase(host, pattern) for pattern in trusted):
        raise UntrustedPayLink(host)
    return url
