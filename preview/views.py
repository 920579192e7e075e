"""Staff preview: every page in every state, on sample data, read-only."""

from __future__ import annotations

import copy
import logging
from collections.abc import Callable
from functools import wraps
from urllib.parse import urlencode

from csp.constants import NONE, SELF
from csp.decorators import csp_replace, csp_update
from django.contrib.auth.decorators import login_not_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import resolve, reverse
from django.views.decorators.clickjacking import xframe_options_sameorigin
from django.views.decorators.http import require_safe

from nexudus import NotFound
from preview import samples
from preview.registry import State, find_state, states_by_page
from web.headers import secret_page
from web.pages import render_page

logger = logging.getLogger("preview")


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
        return view(request, *args, **kwargs)

    return login_not_required(secret_page(wrapped))


@staff_only
@require_safe
def index(request: HttpRequest) -> HttpResponse:
    return render(request, "preview/index.html", {"pages": states_by_page()})


@staff_only
@require_safe
@xframe_options_sameorigin
@csp_replace({"frame-ancestors": [SELF], "form-action": [NONE], "connect-src": [NONE]})
def show(request: HttpRequest, page: str, state: str) -> HttpResponse:
    """One page in one state. Framed by the phone view, hence frame-ancestors 'self' (here only);
    forms and htmx requests are switched off by the CSP, so nothing can be sent from it."""
    found = find_state(page, state)
    if found is None:
        raise Http404
    logger.info("staff %s previewed %s/%s", request.user.pk, page, state)
    response = render_page(_as_seen_by(request, found), found.build())
    # The preview itself worked; the status the page would have had is kept for reference.
    response["X-Preview-Status"] = str(response.status_code)
    response.status_code = 200
    return response


def _as_seen_by(request: HttpRequest, state: State) -> HttpRequest:
    """The staff member's request, dressed as the sample person's (or a visitor's) for the
    page's shell. It carries no session of theirs: page functions never touch one."""
    seen = copy.copy(request)
    person = samples.PEOPLE[state.person] if state.person else None
    seen.member = person.member if person else None  # type: ignore[attr-defined]
    seen.location = person.location if person else None  # type: ignore[attr-defined]
    seen.preview = state  # type: ignore[attr-defined]
    seen.resolver_match = resolve(state.path)
    return seen


@staff_only
@require_safe
@csp_update({"frame-src": [SELF]})
def phone(request: HttpRequest, page: str, state: str) -> HttpResponse:
    found = find_state(page, state)
    if found is None:
        raise Http404
    return render(request, "preview/phone.html", {"state": found})


@staff_only
@require_safe
def sample_invoice_pdf(request: HttpRequest, person: str, invoice_id: int) -> HttpResponse:
    if person not in samples.PEOPLE:
        raise Http404
    try:
        document = samples.sample_invoice_pdf(person, invoice_id)
    except NotFound as error:
        raise Http404 from error
    return _pdf(document, f"sample-{invoice_id}.pdf")


@staff_only
@require_safe
def sample_statement_pdf(request: HttpRequest, person: str) -> HttpResponse:
    if person not in samples.PEOPLE:
        raise Http404
    return _pdf(samples.sample_statement_pdf(person), "sample-statement.pdf")


@staff_only
@require_safe
def sample_guest_pdf(request: HttpRequest, invoice_id: int) -> HttpResponse:
    try:
        document = samples.sample_guest_pdf(invoice_id)
    except NotFound as error:
        raise Http404 from error
    return _pdf(document, f"sample-{invoice_id}.pdf")


def _pdf(document: bytes, filename: str) -> HttpResponse:
    response = HttpResponse(document, content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="{filename}"'
    return response
