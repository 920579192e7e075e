"""The guest checkout-complete page as page functions: the view and the staff preview both
call these, with a Nexudus client (a guest's, or a preview's sample one)."""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.core.cache import cache
from django.utils.translation import gettext_lazy as _

from nexudus import NexudusError, NotFound, Unauthorized, links
from web.crypto import keyed_digest
from web.pages import Page

logger = logging.getLogger("checkout")

MAX_INVOICE_ID = 2**31 - 1
# Verified purchases are remembered briefly, so reloads do not each fetch the PDF upstream.
VERIFIED_SECONDS = 10 * 60


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
        # Keyed: a plain hash of a short PayPal id could be tested against guesses offline.
        return keyed_digest("checkout.purchase", f"{self.invoice_id}:{self.session_id}")


class BadLink(Exception):
    """The address is not one a gateway would send: say so, and use nothing from it."""


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


# Where the guest's PDF link leads: straight to Nexudus (the gateway session id does not expire
# soon), or, in a staff preview, to a sample.
GuestPdfLink = Callable[[Purchase], str]


def nexudus_guest_pdf(purchase: Purchase) -> str:
    return links.guest_pdf_url(purchase.invoice_id, purchase.session_id)


def landing_page(
    nexudus: Any,
    purchase: Purchase,
    *,
    member: Any = None,
    remember: bool = True,
    pdf_link: GuestPdfLink = nexudus_guest_pdf,
) -> Page:
    """The landing page for a well-formed link. `remember=False` (staff preview) neither reads
    nor writes the verification cache, so a preview never changes what a guest will see.
    `member` is who is signed in, if anyone: they see their invoice's number and a way back
    to their invoices instead of an offer to create an account."""
    state = _verify(nexudus, purchase) if remember else confirm_with_nexudus(nexudus, purchase)
    if state != "ready":
        return checkout_page(state, purchase, status=_STATUS[state])
    return checkout_page(
        "ready",
        purchase,
        registered=is_registered(purchase) if remember else False,
        member=member,
        invoice_number=invoice_number(nexudus, purchase) if member else None,
        pdf_link=pdf_link,
    )


def invoice_number(nexudus: Any, purchase: Purchase) -> str | None:
    """The invoice's number, which a signed-in member may read; the internal id is no name."""
    try:
        return nexudus.get_invoice(purchase.invoice_id, fields=("InvoiceNumber",)).number
    except NexudusError:
        return None


def _verify(nexudus: Any, purchase: Purchase) -> str:
    """Nexudus's answer for this checkout, remembered for a while when it is yes."""
    key = f"checkout-verified:{purchase.cache_key}"
    if cache.get(key):
        return "ready"
    state = confirm_with_nexudus(nexudus, purchase)
    if state == "ready":
        cache.set(key, True, timeout=VERIFIED_SECONDS)
    return state


def confirm_with_nexudus(nexudus: Any, purchase: Purchase) -> str:
    """Does Nexudus know this checkout for this invoice? A read (the PDF), never a write."""
    try:
        nexudus.guest_pdf(purchase.invoice_id, token=purchase.session_id)
    except (Unauthorized, NotFound):
        logger.info("checkout token rejected upstream (%s)", purchase.gateway.name)
        return "rejected"
    except NexudusError:
        logger.warning("checkout could not be verified: upstream failed")
        return "unavailable"
    return "ready"


def is_registered(purchase: Purchase) -> bool:
    return bool(cache.get(f"checkout-registered:{purchase.cache_key}"))


_STATUS = {"rejected": 404, "unavailable": 503}

_TITLES = {
    "ready": _("Thank you for your purchase"),
    "rejected": _("We could not find this purchase"),
    "unavailable": _("We could not check your purchase just now"),
    "bad_link": _("This link does not look right"),
    "busy": _("Too many requests"),
}


def checkout_page(
    state: str,
    purchase: Purchase | None = None,
    *,
    status: int = 200,
    registered: bool = False,
    account: str = "",
    member: Any = None,
    invoice_number: str | None = None,
    pdf_link: GuestPdfLink = nexudus_guest_pdf,
) -> Page:
    context = {
        "state": state,
        "title": _TITLES.get(state, _TITLES["ready"]),
        "purchase": purchase,
        "registered": registered,
        "account": account,
        "member": member,
        "invoice_number": invoice_number,
        "pdf_url": pdf_link(purchase) if purchase is not None and state == "ready" else "",
    }
    return Page("checkout/complete.html", context, status)


def account_fragment(purchase: Purchase, account: str) -> Page:
    """The "Your account" box alone, for htmx when creating the account failed (htmx only
    swaps 2xx answers: the fragment itself says what went wrong)."""
    return Page("checkout/includes/account.html", {"purchase": purchase, "account": account})
