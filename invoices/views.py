"""My Invoices, and PDF links that never go dead."""

from __future__ import annotations

import logging

from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.views.decorators.debug import sensitive_variables
from django.views.decorators.http import require_safe
from django.views.decorators.vary import vary_on_headers
from django_htmx.http import push_url

from invoices.pages import invoice_list_page
from invoices.paging import ListOptions
from nexudus import NexudusError, NotFound, Unauthorized, links
from web.formatting import location_today
from web.headers import secret_page
from web.pages import render_page

logger = logging.getLogger("invoices")


@require_safe
@vary_on_headers("HX-Request")
def invoice_list(request: HttpRequest) -> HttpResponse:
    location = request.location  # type: ignore[attr-defined]
    options = ListOptions.from_query(request.GET)
    htmx = request.htmx  # type: ignore[attr-defined]
    page = invoice_list_page(
        request.nexudus,  # type: ignore[attr-defined]
        options,
        location_today(location.time_zone if location else None),
        location.language_culture if location else None,
        target=htmx.target if htmx else None,
    )
    if page.url is not None and (options.corrected or page.url != options.url()):
        # The address asked for a page that is not there: say which one this is.
        address = request.path + (page.url if page.url != "?" else "")
        if not htmx:
            return redirect(address)
        return push_url(render_page(request, page), address)
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
