"""My Invoices, one invoice, Pay, and PDF links that never go dead."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import date

from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.views.decorators.debug import sensitive_variables
from django.views.decorators.http import require_safe
from django.views.decorators.vary import vary_on_headers
from django_htmx.http import push_url

from invoices import status
from invoices.detail import InvoiceNotFound, invoice_detail_page
from invoices.pages import invoice_list_page
from invoices.paging import ListOptions
from invoices.switches import invoice_switches
from nexudus import NexudusError, NotFound, Unauthorized, links
from web.formatting import location_today
from web.headers import secret_page
from web.pages import render_page

logger = logging.getLogger("invoices")

# What a PDF click and Pay need to know of the invoice, and no more.
PDF_FIELDS = ("InvoiceNumber", "BusinessWebAddress")
PAY_FIELDS = (
    "UniqueId",
    "Paid",
    "Draft",
    "CreditNote",
    "TotalAmount",
    "DueAmount",
    "BusinessWebAddress",
)


def _today_and_culture(request: HttpRequest) -> tuple[date, str | None]:
    location = request.location  # type: ignore[attr-defined]
    today = location_today(location.time_zone if location else None)
    return today, location.language_culture if location else None


@require_safe
@vary_on_headers("HX-Request")
def invoice_list(request: HttpRequest) -> HttpResponse:
    options = ListOptions.from_query(request.GET)
    htmx = request.htmx  # type: ignore[attr-defined]
    if not htmx and any(request.GET.get(name) == "" for name in ("year", "q")):
        # The find form's empty fields ("All years", no number) without JavaScript: a tidy
        # address to bookmark, before any call to Nexudus.
        return redirect(request.path + (options.url() if options.url() != "?" else ""))
    page = invoice_list_page(
        request.nexudus,  # type: ignore[attr-defined]
        options,
        *_today_and_culture(request),
        target=htmx.target if htmx else None,
    )
    if page.url is not None and (options.corrected or page.url != options.url()):
        # The address asked for a page that is not there: say which one this is.
        address = request.path + (page.url if page.url != "?" else "")
        if not htmx:
            return redirect(address)
        return push_url(render_page(request, page), address)
    if htmx and page.url is not None and page.url != f"?{request.GET.urlencode()}":
        # The filter form sends empty fields (`q=`): the address bar keeps the tidy address.
        address = request.path + (page.url if page.url != "?" else "")
        return push_url(render_page(request, page), address)
    return render_page(request, page)


@require_safe
def invoice_detail(request: HttpRequest, invoice_id: int) -> HttpResponse:
    try:
        page = invoice_detail_page(
            request.nexudus,  # type: ignore[attr-defined]
            invoice_id,
            *_today_and_culture(request),
        )
    except InvoiceNotFound as error:
        logger.warning("invoice refused: not found for this member")
        raise Http404 from error
    return render_page(request, page)


@require_safe
@secret_page
def invoice_pay(request: HttpRequest, invoice_id: int) -> HttpResponse:
    """Hand the member over to the issuing location's own payment page for this invoice.

    Only for the member's own unpaid, issued invoice (else 404), only to a trusted host, and
    never with a token in the address. Where paying online is off, the invoice's page says how
    to pay instead.
    """
    nexudus = request.nexudus  # type: ignore[attr-defined]
    try:
        invoice = nexudus.get_invoice(invoice_id, fields=PAY_FIELDS)
    except (NotFound, Unauthorized) as error:
        logger.warning("pay refused: invoice not found for this member")
        raise Http404 from error
    except NexudusError:
        return _unavailable(request, "invoices/pay_unavailable.html", invoice_id)
    if not status.is_to_pay(invoice):
        raise Http404
    if not invoice_switches(nexudus).pay_online or not invoice.unique_id:
        return redirect("invoices:detail", invoice_id)
    try:
        url = links.pay_url(
            settings.NEXUDUS_PAY_URL,
            invoice.id,
            invoice.unique_id,
            invoice.business_web_address,
            request.member.trusted_hosts,  # type: ignore[attr-defined]
        )
    except links.UntrustedPayLink:
        logger.error("pay refused: NEXUDUS_PAY_URL leads to an untrusted host")
        return redirect("invoices:detail", invoice_id)
    logger.info("member sent to pay an invoice")
    return HttpResponseRedirect(url)


@sensitive_variables("media_token")
@require_safe
@secret_page
def invoice_pdf(request: HttpRequest, invoice_id: int) -> HttpResponse:
    """Mint the upstream PDF link at click time: however old the page, the link works."""
    nexudus = request.nexudus  # type: ignore[attr-defined]
    if not invoice_switches(nexudus).print:
        raise Http404
    try:
        invoice = nexudus.get_invoice(invoice_id, fields=PDF_FIELDS)
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
    return _member_document(request, links.statement_pdf_url)


@sensitive_variables("media_token")
@require_safe
@secret_page
def next_invoice_pdf(request: HttpRequest) -> HttpResponse:
    """The preview of the member's next invoice, as the Nexudus portal offers it."""
    return _member_document(request, links.next_invoice_pdf_url)


@sensitive_variables("media_token")
def _member_document(request: HttpRequest, url_for: Callable[[str], str]) -> HttpResponse:
    nexudus = request.nexudus  # type: ignore[attr-defined]
    if not invoice_switches(nexudus).print:
        raise Http404
    try:
        media_token = nexudus.media_token()
    except NexudusError:
        return _download_unavailable(request)
    return HttpResponseRedirect(url_for(media_token))


def _download_unavailable(request: HttpRequest) -> HttpResponse:
    response = render(
        request, "invoices/download_unavailable.html", {"retry_url": request.path}, status=503
    )
    response["Retry-After"] = "30"
    return response


def _unavailable(request: HttpRequest, template: str, invoice_id: int) -> HttpResponse:
    response = render(request, template, {"invoice_id": invoice_id}, status=503)
    response["Retry-After"] = "30"
    return response
