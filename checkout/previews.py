"""Staff preview states of the guest checkout-complete page (see preview.registry)."""

from __future__ import annotations

from django.urls import reverse

from checkout.pages import GATEWAYS, Purchase, checkout_page, landing_page, parse_purchase
from preview.registry import State, register, register_page
from preview.samples import GUEST_CHECKOUTS, SampleClient
from web.pages import Page


def _sample_pdf(purchase: Purchase) -> str:
    return reverse("preview:guest_pdf", args=[purchase.invoice_id])


def _purchase(gateway: str) -> Purchase:
    invoice_id, session_id = GUEST_CHECKOUTS[gateway]
    parameter = next(g.parameter for g in GATEWAYS if g.name.lower() == gateway)
    return parse_purchase(invoice_id, {parameter: [session_id]})


def _checkout(gateway: str, *, rejected: bool = False, down: bool = False, account: str = ""):
    def build() -> Page:
        purchase = _purchase(gateway)
        if account:
            return checkout_page(
                "ready", purchase, registered=True, account=account, pdf_link=_sample_pdf
            )
        tokens = frozenset({purchase.session_id}) if rejected else frozenset()
        client = SampleClient(None, down=down, rejected_tokens=tokens)
        return landing_page(client, purchase, remember=False, pdf_link=_sample_pdf)

    return build


def _state(key: str, label: str, build) -> State:
    return State("checkout", key, label, build, path="/checkout/complete/39001/")


register_page("checkout", "Checkout complete", 40)
register(_state("stripe", "Stripe", _checkout("stripe")))
register(_state("spreedly", "Spreedly", _checkout("spreedly")))
register(_state("paypal", "PayPal", _checkout("paypal")))
register(_state("rejected", "A rejected token", _checkout("stripe", rejected=True)))
register(_state("nexudus-down", "Nexudus down", _checkout("paypal", down=True)))
register(_state("bad-link", "A malformed link", lambda: checkout_page("bad_link", status=400)))
register(
    _state("signed-in", "Account created, signed in", _checkout("stripe", account="signed_in"))
)
register(
    _state("created", "Account created, not signed in", _checkout("spreedly", account="created"))
)
register(_state("already", "Account already created", _checkout("paypal", account="already")))
