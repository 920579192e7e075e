"""Staff preview states of the guest checkout-complete page (see preview.registry)."""

from __future__ import annotations

from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from checkout.pages import GATEWAYS, Purchase, checkout_page, landing_page, parse_purchase
from preview.registry import State, register, register_page
from preview.samples import GUEST_CHECKOUTS, PEOPLE, SampleClient
from web.pages import Page


def _sample_pdf(purchase: Purchase) -> str:
    return reverse("preview:guest_pdf", args=[purchase.invoice_id])


def _purchase(gateway: str) -> Purchase:
    invoice_id, session_id = GUEST_CHECKOUTS[gateway]
    parameter = next(g.parameter for g in GATEWAYS if g.name.lower() == gateway)
    return parse_purchase(invoice_id, {parameter: [session_id]})


def _checkout(
    gateway: str,
    *,
    rejected: bool = False,
    down: bool = False,
    account: str = "",
    registered: bool = False,
    member: str | None = None,
):
    def build() -> Page:
        purchase = _purchase(gateway)
        shell = PEOPLE[member].member if member else None
        if account or registered:
            return checkout_page(
                "ready",
                purchase,
                registered=registered,
                account=account,
                member=shell,
                pdf_link=_sample_pdf,
            )
        tokens = frozenset({purchase.session_id}) if rejected else frozenset()
        client = SampleClient(member, down=down, rejected_tokens=tokens)
        return landing_page(client, purchase, member=shell, remember=False, pdf_link=_sample_pdf)

    return build


def _state(key: str, label: str, build, person: str | None = None) -> State:
    return State("checkout", key, label, build, person, path="/checkout/complete/39001/")


register_page("checkout", _("Checkout complete"), 40)
register(_state("stripe", "Stripe", _checkout("stripe")))
register(_state("spreedly", "Spreedly", _checkout("spreedly")))
register(_state("paypal", "PayPal", _checkout("paypal")))
register(_state("rejected", _("A rejected token"), _checkout("stripe", rejected=True)))
register(_state("nexudus-down", _("Nexudus down"), _checkout("paypal", down=True)))
register(_state("bad-link", _("A malformed link"), lambda: checkout_page("bad_link", status=400)))
register(
    _state(
        "signed-in",
        _("Account created, signed in"),
        _checkout("stripe", registered=True, member="ada"),
        person="ada",
    )
)
register(
    _state("created", _("Account created, not signed in"), _checkout("spreedly", registered=True))
)
register(_state("failed", _("Account creation failed"), _checkout("paypal", account="failed")))
register(
    _state(
        "member", _("A member back from paying"), _checkout("stripe", member="ada"), person="ada"
    )
)
