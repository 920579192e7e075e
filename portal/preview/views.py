"""Staff preview: every page in every state, on sample data, read-only."""

from __future__ import annotations

import logging
from collections.abc import Callable
from functools import wraps
from urllib.parse import urlencode

from csp.constants import NONE, SELF
from csp.decorators import csp_replace, csp_update
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.cache import add_never_cache_headers, patch_cache_control
from django.views.decorators.clickjacking import xframe_options_sameorigin
from django.views.decorators.http import require_GET

from portal import members
from portal.nexudus import client
from portal.preview import samples
from portal.preview.states import PAGES, PEOPLE, SAMPLE_INVOICES, STATES, find_state

logger = logging.getLogger("portal.preview")


def staff_only(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Staff in; anonymous visitors to the staff sign-in; everyone else (members too) a 404."""

    @wraps(view)
    def wrapped(request: HttpRequest, *args: object, **kwargs: object) -> HttpResponse:
        user = request.user
        is_staff = user.is_authenticated and user.is_active and user.is_staff
        if not is_staff and (user.is_authenticated or request.member is not None):  # type: ignore[attr-defined]
            # A member (or a user without staff rights) learns nothing, not even that it exists.
            raise Http404
        if not is_staff:
            login = reverse("admin:login")
            return redirect(f"{login}?{urlencode({'next': request.get_full_path()})}")
        response = view(request, *args, **kwargs)
        add_never_cache_headers(response)
        patch_cache_control(response, private=True)
        response["X-Robots-Tag"] = "noindex, nofollow"
        return response

    return members.public(wrapped)


@staff_only
@require_GET
def index(request: HttpRequest) -> HttpResponse:
    pages = [(key, title, [s for s in STATES if s.page == key]) for key, title in PAGES.items()]
    return render(request, "preview/index.html", {"pages": pages})


@staff_only
@require_GET
@xframe_options_sameorigin
@csp_replace({"frame-ancestors": [SELF], "form-action": [NONE], "connect-src": [NONE]})
def show(request: HttpRequest, page: str, state: str) -> HttpResponse:
    """One page in one state. Framed by the phone view, hence frame-ancestors 'self' (here only);
    forms and htmx requests are switched off by the CSP, so nothing can be sent from it."""
    found = find_state(page, state)
    if found is None:
        raise Http404
    logger.info("staff %s previewed %s/%s", request.user.pk, page, state)
    response = found.render(request, found)
    # The preview itself worked; the status the page would have had is kept for reference.
    response["X-Preview-Status"] = str(response.status_code)
    response.status_code = 200
    return response


@staff_only
@require_GET
@csp_update({"frame-src": [SELF]})
def phone(request: HttpRequest, page: str, state: str) -> HttpResponse:
    found = find_state(page, state)
    if found is None:
        raise Http404
    return render(request, "preview/phone.html", {"state": found})


@staff_only
@require_GET
def sample_invoice_pdf(request: HttpRequest, person: str, invoice_id: int) -> HttpResponse:
    if person not in PEOPLE:
        raise Http404
    try:
        document = samples.sample_invoice_pdf(PEOPLE[person], invoice_id)
    except client.NotFound as error:
        raise Http404 from error
    return _pdf(document, f"sample-{invoice_id}.pdf")


@staff_only
@require_GET
def sample_statement_pdf(request: HttpRequest, person: str) -> HttpResponse:
    if person not in PEOPLE:
        raise Http404
    return _pdf(samples.sample_statement_pdf(PEOPLE[person]), "sample-statement.pdf")


@staff_only
@require_GET
def sample_guest_pdf(request: HttpRequest, invoice_id: int) -> HttpResponse:
    gateway = next((g for g, i in SAMPLE_INVOICES.items() if i == invoice_id), None)
    if gateway is None:
        raise Http404
    return _pdf(samples.sample_guest_pdf(gateway), f"sample-{invoice_id}.pdf")


def _pdf(document: bytes, filename: str) -> HttpResponse:
    response = HttpResponse(document, content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="{filename}"'
    return response
