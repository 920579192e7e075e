"""The guest checkout-complete page: a guest lands here from the payment gateway.

The gateway's session id in the query string is the guest's only credential, so this page treats
it as a secret: it is checked against the gateway's id format before it is used anywhere, never
logged, never cached by anyone, never sent on as a referrer, and never written into a URL of ours.
A GET changes nothing upstream and claims only what Nexudus confirmed.
"""

from __future__ import annotations

import logging
from dataclasses import replace

from django.contrib.auth.decorators import login_not_required
from django.core.cache import cache
from django.http import HttpRequest, HttpResponse
from django.views.decorators.http import require_http_methods

from checkout.pages import (
    GATEWAYS,
    BadLink,
    Purchase,
    account_fragment,
    checkout_page,
    is_registered,
    landing_page,
    parse_purchase,
)
from members import throttle
from members.session import show_the_space, start_member_session
from nexudus import NexudusError, NotFound, Unauthorized
from web.csrf import accepts_own_posts_without_origin
from web.headers import secret_page
from web.pages import Page, render_page, see_other

logger = logging.getLogger("checkout")

# Registration is remembered for long: a second "Create your account" must say it is done.
REGISTERED_SECONDS = 90 * 24 * 3600
# Where the page keeps the purchase once posted, so its reload needs no secret in the address.
PURCHASE_KEY = "checkout.purchase"
# Guests are anonymous: a per-address budget keeps this page from being a guessing oracle.
PER_CLIENT = throttle.Limit("checkout", max_count=30, window_seconds=60)


@login_not_required
@secret_page
@accepts_own_posts_without_origin
@require_http_methods(["GET", "HEAD", "POST"])
def checkout_complete(request: HttpRequest, invoice_id: int) -> HttpResponse:
    # Every request spends a slot, taken before anything else happens (no check-then-count race).
    if PER_CLIENT.reserve(throttle.client_address(request)) is None:
        response = render_page(request, _unechoed(request, checkout_page("busy", status=429)))
        response["Retry-After"] = str(PER_CLIENT.retry_after())
        return response
    try:
        purchase = _purchase(request, invoice_id)
    except BadLink as error:
        logger.info("checkout link refused: bad %s", error)
        return render_page(request, _unechoed(request, checkout_page("bad_link", status=400)))
    show_the_space(request)
    if request.method == "POST":
        return _register(request, purchase)
    member = request.member  # type: ignore[attr-defined]
    nexudus = request.nexudus  # type: ignore[attr-defined]
    if nexudus.copies is not None:
        # A signed-in member back from paying: what they owe has just changed.
        nexudus.copies.forget_fresh()
    page = landing_page(nexudus, purchase, member=member)
    return render_page(request, page)


def _unechoed(request: HttpRequest, page: Page) -> Page:
    """A link that was refused (or not looked at) is never shown back, not even as the
    language switcher's way back here: that goes to the path alone."""
    return replace(page, context={**page.context, "language_next": request.path})


def _purchase(request: HttpRequest, invoice_id: int) -> Purchase:
    """The purchase the address names, or, once the page has been posted, the one this browser
    posted for: the page then reloads without the gateway's secret in its address."""
    query = dict(request.GET.lists())
    if not any(gateway.parameter in query for gateway in GATEWAYS):
        kept = request.session.get(PURCHASE_KEY)
        if isinstance(kept, dict) and kept.get("invoice_id") == invoice_id:
            query = {str(kept.get("parameter")): [str(kept.get("session_id"))]}
    return parse_purchase(invoice_id, query)


def _done(request: HttpRequest, purchase: Purchase) -> HttpResponse:
    """Post/Redirect/Get: the account box's new state is the page's GET, reload-safe."""
    request.session[PURCHASE_KEY] = {
        "invoice_id": purchase.invoice_id,
        "parameter": purchase.gateway.parameter,
        "session_id": purchase.session_id,
    }
    return see_other(request.path)


def _register(request: HttpRequest, purchase: Purchase) -> HttpResponse:
    nexudus = request.nexudus  # type: ignore[attr-defined]
    if is_registered(purchase):
        return _done(request, purchase)
    try:
        registration = nexudus.register_guest(purchase.invoice_id, token=purchase.session_id)
    except (Unauthorized, NotFound):
        logger.info("checkout registration refused upstream (%s)", purchase.gateway.name)
        if request.htmx:  # type: ignore[attr-defined]
            return _account(request, purchase, "rejected", status=404)
        return render_page(request, checkout_page("rejected", purchase, status=404))
    except NexudusError:
        logger.warning("checkout registration failed upstream")
        return _account(request, purchase, "failed", status=503)
    cache.set(f"checkout-registered:{purchase.cache_key}", True, timeout=REGISTERED_SECONDS)
    logger.info("guest account created (%s)", purchase.gateway.name)
    _sign_in_with(request, registration.token)
    return _done(request, purchase)


def _sign_in_with(request: HttpRequest, one_time_token: str) -> bool:
    """Sign the new customer in when Nexudus swaps the registration's token for a session.

    Whether that token allows it is not documented (UNCERTAIN); when it does not, the page
    tells the guest how to sign in instead.
    """
    try:
        welcome = request.nexudus.exchange(one_time_token)  # type: ignore[attr-defined]
    except NexudusError as error:
        logger.info("guest account created; not signed in (%s)", type(error).__name__)
        return False
    # Exchanged sessions are refreshed with the customer's e-mail as client_id (reference §1a).
    start_member_session(request, welcome, welcome.me.email or "")
    logger.info("guest signed in after creating an account")
    return True


def _account(
    request: HttpRequest, purchase: Purchase, account: str, *, status: int
) -> HttpResponse:
    if request.htmx:  # type: ignore[attr-defined]
        return render_page(request, account_fragment(purchase, account))
    page = checkout_page(
        "ready", purchase, status=status, registered=account != "failed", account=account
    )
    return render_page(request, page)
