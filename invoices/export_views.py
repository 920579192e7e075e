"""Exports of the member's own invoices: a year's (or every year's) CSV, and its PDFs in a zip.

GETs of the member's own data only (the member's client, the member's media token), answered
as secret pages: never cached, never a referrer, never indexed. Until the zip starts, a
Nexudus failure is a styled 503 with a retry; once it streams, a PDF that fails is listed in
its MISSING.txt.
"""

from __future__ import annotations

import logging
from datetime import date

from django.http import Http404, HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import render
from django.utils.http import content_disposition_header
from django.views.decorators.debug import sensitive_variables
from django.views.decorators.http import require_safe

from invoices.exports import ZIP_MAX_PDFS, csv_text, file_stem, period_documents, zip_stream
from invoices.history import Span, TooLong, known_span, remember_span, span_from, span_queries
from invoices.paging import finding_year
from invoices.switches import invoice_switches
from nexudus import NexudusError
from web.formatting import format_count, location_today
from web.headers import secret_page

logger = logging.getLogger("invoices")


def _today_and_culture(request: HttpRequest) -> tuple[date, str | None]:
    location = request.location  # type: ignore[attr-defined]
    today = location_today(location.time_zone if location else None)
    return today, location.language_culture if location else None


def _year(request: HttpRequest) -> int | None:
    """`?year=`: a year, or none for every year; anything else is no export of ours."""
    year, ok = finding_year(request.GET.get("year"))
    if not ok:
        raise Http404
    return year


@require_safe
@secret_page
def export_csv(request: HttpRequest) -> HttpResponse:
    year = _year(request)
    nexudus = request.nexudus  # type: ignore[attr-defined]
    if not invoice_switches(nexudus).view:
        raise Http404
    today, culture = _today_and_culture(request)
    try:
        documents = period_documents(nexudus, year)
    except TooLong as error:
        return _too_long(request, year, error.count, culture)
    except NexudusError:
        return _unavailable(request)
    response = HttpResponse(csv_text(documents, today), content_type="text/csv; charset=utf-8")
    logger.info("csv export: %d rows", len(documents))
    return _attachment(response, f"{file_stem(year)}.csv")


@sensitive_variables("token")
@require_safe
@secret_page
def export_zip(request: HttpRequest) -> HttpResponse:
    year = _year(request)
    nexudus = request.nexudus  # type: ignore[attr-defined]
    switches = invoice_switches(nexudus)
    if not (switches.view and switches.print):
        raise Http404
    today, culture = _today_and_culture(request)
    try:
        documents = period_documents(nexudus, year)
        if len(documents) > ZIP_MAX_PDFS:
            return _too_long(request, year, len(documents), culture, zip_cap=True)
        stem = file_stem(year)
        if request.method == "HEAD":
            # What a GET would answer, without asking for a single PDF.
            return _attachment(HttpResponse(content_type="application/zip"), f"{stem}.zip")
        # A first media token now: if Nexudus cannot give one, say so before the zip starts.
        token = nexudus.media_token()
    except TooLong as error:
        return _too_long(request, year, error.count, culture, zip_cap=True)
    except NexudusError:
        return _unavailable(request)
    del token
    member_hosts = request.member.trusted_hosts  # type: ignore[attr-defined]
    response = StreamingHttpResponse(
        zip_stream(nexudus, documents, today, stem, member_hosts), content_type="application/zip"
    )
    # Whatever sits in front (nginx) must pass each piece on as it comes.
    response["X-Accel-Buffering"] = "no"
    return _attachment(response, f"{stem}.zip")


def _attachment(response: HttpResponse, filename: str) -> HttpResponse:
    response["Content-Disposition"] = content_disposition_header(True, filename)
    return response


def _unavailable(request: HttpRequest) -> HttpResponse:
    response = render(
        request,
        "invoices/export_unavailable.html",
        {"retry_url": request.get_full_path()},
        status=503,
    )
    response["Retry-After"] = "30"
    return response


def _too_long(
    request: HttpRequest,
    year: int | None,
    count: int,
    culture: str | None,
    *,
    zip_cap: bool = False,
) -> HttpResponse:
    """Too many for one download: say how many, and offer the years one at a time."""
    span = _span(request.nexudus)  # type: ignore[attr-defined]
    years = [y for y in (span.years if span else ()) if y != year]
    context = {
        "year": year,
        "count": count,
        "count_text": format_count(count, culture),
        "limit_text": format_count(ZIP_MAX_PDFS, culture),
        "zip_cap": zip_cap,
        "years": years,
        "kind": "zip" if zip_cap else "csv",
    }
    return render(request, "invoices/export_too_long.html", context)


def _span(nexudus: object) -> Span | None:
    span = known_span(nexudus)
    if span is not None:
        return span
    newest, oldest = nexudus.list_invoices_each(span_queries())  # type: ignore[attr-defined]
    if isinstance(newest, NexudusError) or isinstance(oldest, NexudusError):
        return None
    span = span_from(newest, oldest)
    remember_span(nexudus, span)
    return span
