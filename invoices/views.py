"""My Invoices, one invoice, Pay, and PDF links that never go dead."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import date

from django.conf import settings
from django.contrib.auth.decorators import login_not_required
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.debug import sensitive_variables
from django.views.decorators.http import require_POST, require_safe
from django.views.decorators.vary import vary_on_headers
from django_htmx.http import push_url

from invoices import status
from invoices.detail import InvoiceNotFound, invoice_detail_page
from invoices.pages import invoice_list_page
from invoices.paging import ListOptions
from invoices.switches import invoice_switches
from nexudus import NexudusError, NotFound, Unauthorized, copies, links, webhooks
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


def _time_zone(request: HttpRequest) -> str | None:
    location = request.location  # type: ignore[attr-defined]
    return location.time_zone if location else None


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
        time_zone=_time_zone(request),
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
            time_zone=_time_zone(request),
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
    if nexudus.copies is not None:
        # What they owe is about to change: their next page asks Nexudus, webhook or not.
        nexudus.copies.forget_fresh()
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


@csrf_exempt  # Nexudus signs its webhooks; it cannot hold a CSRF token
@login_not_required
@require_POST
@sensitive_variables("secret")
def nexudus_webhook(request: HttpRequest) -> HttpResponse:
    """A signed Nexudus invoice webhook: the members it names get no fresh copy until their
    pages ask Nexudus again. 403 unsigned or mis-signed, 400 oversized or malformed."""
    secret = settings.NEXUDUS_WEBHOOK_SECRET
    declared = request.META.get("CONTENT_LENGTH") or "0"
    if not declared.isdigit() or int(declared) > webhooks.MAX_BODY_BYTES:
        return _webhook_refused(webhooks.Refused(400, "too large"))
    try:
        change = webhooks.read_change(
            request.body, request.headers.get(webhooks.SIGNATURE_HEADER), secret
        )
    except webhooks.Refused as refused:
        return _webhook_refused(refused)
    if change.coworker_ids:
        for coworker_id in change.coworker_ids:
            copies.touch(settings.NEXUDUS_BASE_URL, coworker_id)
    else:
        copies.touch_everyone()
    logger.info(
        "webhook: %d record(s), %d member(s) touched", change.records, len(change.coworker_ids)
    )
    return HttpResponse("ok\n", content_type="text/plain; charset=utf-8")


def _webhook_refused(refused: webhooks.Refused) -> HttpResponse:
    logger.warning("webhook refused: %s", refused.reason)
    return HttpResponse(
        f"{refused.reason}\n", status=refused.status, content_type="text/plain; charset=utf-8"
    )
