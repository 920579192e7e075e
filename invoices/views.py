"""My Invoices, and PDF links that never go dead."""

from __future__ import annotations

import logging

from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.views.decorators.debug import sensitive_variables
from django.views.decorators.http import require_safe
from django.views.decorators.vary import vary_on_headers

from invoices.pages import ListOptions, invoice_list_page
from nexudus import NexudusError, NotFound, Unauthorized, links
from web.formatting import location_today
from web.headers import secret_page
from web.pages import render_page

logger = logging.getLogger("invoices")


@require_safe
@vary_on_headers("HX-Request")
def invoice_list(request: HttpRequest) -> HttpResponse:
    location = request.location  # type: ignore[attr-defined]
    page = invoice_list_page(
        request.nexudus,  # type: ignore[attr-defined]
        ListOptions.from_query(request.GET),
        location_today(location.time_zone if location else None),
        target=request.htmx.target if request.htmx else None,  # type: ignore[attr-defined]
    )
    return render_page(request, page)


@sensitive_variables("media_token")
@require_safe
@secret_page
def invoice_pdf(request: HttpRequest, invoice_id: int) -> HttpResponse:
    """Mint the upstream PDF link at click time: however old the page, the link works."""
    nexudus = request.nexudus  # type: ignore[attr-defined]
    try:
        invoice = nexudus.get_invoice(invoice_id, fields=("InvoiceNumber", "BusinessWebAddress"))
        media_token = nexudus.media_token()
    except (NotFound, Unauthorized) as error:
        # Nexudus says 404 for unknown ids and may say 401 for someone else's: both are ours 404.
        logger.warning("invoice PDF refused: invoice not found for this member")
        raise Http404 from error
    except NexudusError:
        return _download_unavailable(request)
    # The member's own locations only: the media token must not go to another tenant's host.
    own_hosts = request.member.trusted_hosts  # type: ignore[attr-defined]
    url = links.invoice_pdf_url(invoice.id, media_token, invoice.business_web_address, own_hosts)
    return HttpResponseRedirect(url)


@sensitive_variables("media_token")
@require_safe
@secret_page
def statement_pdf(request: HttpRequest) -> HttpResponse:
    try:
        media_token = request.nexudus.media_token()  # type: ignore[attr-defined]
    except NexudusError:
        return _download_unavailable(request)
    return HttpResponseRedirect(links.statement_pdf_url(media_token))


def _download_unavailable(request: HttpRequest) -> HttpResponse:
    response = render(
        request, "invoices/download_unavailable.html", {"retry_url": request.path}, status=503
    )
    response["Retry-After"] = "30"
    return response
