"""The guest checkout-complete page: a guest lands here from the payment gateway.

The gateway's session id in the query string is the guest's only credential, so this page treats
it as a secret: it is checked against the gateway's id format before it is used anywhere, never
logged, never cached by anyone, never sent on as a referrer, and never written into a URL of ours.
A GET changes nothing upstream and claims only what Nexudus confirmed.
"""

from __future__ import annotations

import hashlib
import logging
import re
from collections.abc import Callable
from dataclasses import dataclass
from functools import wraps

from django.core.cache import cache
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.cache import add_never_cache_headers
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_http_methods

from portal import members, throttle
from portal.csrf import accepts_own_posts_without_origin
from portal.nexudus import client

logger = logging.getLogger("portal.checkout")

MAX_INVOICE_ID = 2**31 - 1
# Verified purchases are remembered briefly, so reloads do not each fetch the PDF upstream.
VERIFIED_SECONDS = 10 * 60
# Registration is remembered for long: a second "Create your account" must say it is done.
REGISTERED_SECONDS = 90 * 24 * 3600
# Guests are anonymous: a per-address budget keeps this page from being a guessing oracle.
PER_CLIENT = throttle.Limit("checkout", max_count=30, window_seconds=60)


@dataclass(frozen=True, slots=True)
class Gateway:
    parameter: str
    name: str
    pattern: re.Pattern[str]


GATEWAYS = (
    # Stripe Checkout Session ids: cs_test_… or cs_live_… followed by letters and digits.
    Gateway("stripe_session_id", "Stripe", re.compile(r"cs_(?:test|live)_[A-Za-z0-9]{10,200}")),
    # Spreedly transaction tokens: letters and digits.
    Gateway("spreedly_session_id", "Spreedly", re.compile(r"[A-Za-z0-9]{20,64}")),
    # PayPal order ids (17 upper-case letters and digits) or older EC- tokens.
    Gateway("paypal_session_id", "PayPal", re.compile(r"(?:EC-)?[A-Z0-9]{12,40}")),
)


@dataclass(frozen=True, slots=True)
class Purchase:
    invoice_id: int
    gateway: Gateway
    session_id: str

    def __repr__(self) -> str:
        return f"Purchase(invoice_id={self.invoice_id}, gateway={self.gateway.name})"

    @property
    def cache_key(self) -> str:
        digest = hashlib.sha256(f"{self.invoice_id}:{self.session_id}".encode()).hexdigest()
        return digest[:40]


class BadLink(Exception):
    """The address is not one a gateway would send: say so, and use nothing from it."""


def secret_page(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Headers for a page whose URL carries a secret, on every answer it gives."""

    @wraps(view)
    def wrapped(request: HttpRequest, *args: object, **kwargs: object) -> HttpResponse:
        response = view(request, *args, **kwargs)
        add_never_cache_headers(response)
        response["Referrer-Policy"] = "no-referrer"
        response["X-Robots-Tag"] = "noindex, nofollow"
        return response

    return wrapped


def parse_purchase(invoice_id: int, query: dict[str, list[str]]) -> Purchase:
    """Exactly one gateway parameter, in that gateway's format; a positive invoice id."""
    if not 0 < invoice_id <= MAX_INVOICE_ID:
        raise BadLink("invoice id")
    present = [gateway for gateway in GATEWAYS if gateway.parameter in query]
    if len(present) != 1:
        raise BadLink("gateway parameters")
    gateway = present[0]
    values = query[gateway.parameter]
    if len(values) != 1 or not gateway.pattern.fullmatch(values[0]):
        raise BadLink("session id")
    return Purchase(invoice_id, gateway, values[0])


@members.public
@secret_page
@accepts_own_posts_without_origin
@require_http_methods(["GET", "POST"])
def checkout_complete(request: HttpRequest, invoice_id: int) -> HttpResponse:
    address = throttle.client_address(request)
    wait = PER_CLIENT.retry_after(address)
    if wait is not None:
        response = render_state(request, "busy", status=429)
        response["Retry-After"] = str(wait)
        return response
    PER_CLIENT.record(address)
    try:
        purchase = parse_purchase(invoice_id, dict(request.GET.lists()))
    except BadLink as error:
        logger.info("checkout link refused: bad %s", error)
        return render_state(request, "bad_link", status=400)
    if request.method == "POST":
        return _register(request, purchase)
    return landing(request, purchase)


def landing(request: HttpRequest, purchase: Purchase, *, remember: bool = True) -> HttpResponse:
    """The landing page for a well-formed link. `remember=False` (staff preview) neither reads
    nor writes the verification cache, so a preview never changes what a guest will see."""
    state = _verify(purchase) if remember else confirm_with_nexudus(purchase)
    if state != "ready":
        return render_state(request, state, purchase, status=_STATUS[state])
    return render_state(request, "ready", purchase, registered=_is_registered(purchase))


def _verify(purchase: Purchase) -> str:
    """Nexudus's answer for this checkout, remembered for a while when it is yes."""
    key = f"checkout-verified:{purchase.cache_key}"
    if cache.get(key):
        return "ready"
    state = confirm_with_nexudus(purchase)
    if state == "ready":
        cache.set(key, True, timeout=VERIFIED_SECONDS)
    return state


def confirm_with_nexudus(purchase: Purchase) -> str:
    """Does Nexudus know this checkout for this invoice? A read (the PDF), never a write."""
    try:
        client.get_invoice_pdf_by_token(purchase.invoice_id, token=purchase.session_id)
    except (client.Unauthorized, client.NotFound):
        logger.info("checkout token rejected upstream (%s)", purchase.gateway.name)
        return "rejected"
    except client.NexudusError:
        logger.warning("checkout could not be verified: upstream failed")
        return "unavailable"
    return "ready"


def _register(request: HttpRequest, purchase: Purchase) -> HttpResponse:
    if _is_registered(purchase):
        return _render_account(request, purchase, "already", status=200)
    try:
        registration = client.register_by_token(purchase.invoice_id, token=purchase.session_id)
    except (client.Unauthorized, client.NotFound):
        logger.info("checkout registration refused upstream (%s)", purchase.gateway.name)
        if request.htmx:
            return _render_account(request, purchase, "rejected", status=404)
        return render_state(request, "rejected", purchase, status=404)
    except client.NexudusError:
        logger.warning("checkout registration failed upstream")
        return _render_account(request, purchase, "failed", status=503)
    cache.set(f"checkout-registered:{purchase.cache_key}", True, timeout=REGISTERED_SECONDS)
    logger.info("guest account created (%s)", purchase.gateway.name)
    signed_in = _sign_in_with(request, registration.token)
    return _render_account(request, purchase, "signed_in" if signed_in else "created", status=200)


def _sign_in_with(request: HttpRequest, one_time_token: str) -> bool:
    """Sign the new customer in when Nexudus swaps the registration's token for a session.

    Whether that token allows it is not documented (UNCERTAIN); when it does not, the page
    tells the guest how to sign in instead.
    """
    try:
        tokens = client.exchange_token(one_time_token)
        me = client.get_me(tokens.access_token)
    except client.NexudusError as error:
        logger.info("guest account created; not signed in (%s)", type(error).__name__)
        return False
    try:
        business = client.get_business(tokens.access_token)
    except client.NexudusError:
        business = None
    # Exchanged sessions are refreshed with the customer's e-mail as client_id (reference §1a).
    members.start_member_session(request, tokens, me.email or "", me, business)
    request.member = members.current_member(request)  # type: ignore[attr-defined]
    logger.info("guest signed in after creating an account")
    return True


def _is_registered(purchase: Purchase) -> bool:
    return bool(cache.get(f"checkout-registered:{purchase.cache_key}"))


_STATUS = {"rejected": 404, "unavailable": 503}

_TITLES = {
    "ready": _("Thank you for your purchase"),
    "rejected": _("We could not find this purchase"),
    "unavailable": _("We could not check your purchase just now"),
    "bad_link": _("This link does not look right"),
    "busy": _("Too many requests"),
}


def render_state(
    request: HttpRequest,
    state: str,
    purchase: Purchase | None = None,
    *,
    status: int = 200,
    registered: bool = False,
    account: str = "",
) -> HttpResponse:
    context = {
        "state": state,
        "title": _TITLES.get(state, _TITLES["ready"]),
        "purchase": purchase,
        "registered": registered,
        "account": account,
    }
    return render(request, "checkout/complete.html", context, status=status)


def _render_account(
    request: HttpRequest, purchase: Purchase, account: str, *, status: int
) -> HttpResponse:
    if request.htmx:
        # htmx only swaps 2xx answers; the fragment itself says what went wrong.
        context = {"purchase": purchase, "account": account}
        return render(request, "checkout/includes/account.html", context)
    return render_state(
        request, "ready", purchase, status=status, registered=account != "failed", account=account
    )
