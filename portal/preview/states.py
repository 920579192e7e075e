"""Every page in every state, rendered by the real views and templates on sample data.

Each state builds a request of its own (a copy of the staff member's, with an in-memory session
that is never saved) and calls the page's real view, or the real helper the view renders with,
while `client.stand_in(...)` answers every Nexudus call from the sample sandbox. Nothing is
written upstream, no session is stored, no sign-in attempt is counted.
"""

from __future__ import annotations

import copy
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from importlib import import_module

from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse, QueryDict
from django.shortcuts import render
from django.urls import resolve
from django.views import defaults
from django_htmx.middleware import HtmxDetails

from checkout import views as checkout_views
from invoices import views as invoice_views
from portal import members
from portal import views as portal_views
from portal.nexudus import client
from portal.preview.samples import SampleBackend

# Sample people, by the short names preview URLs use.
PEOPLE = {
    "ada": "ada@example.com",
    "grace": "grace@example.com",
    "empty": "empty@example.com",
    "busy": "busy@example.com",
}
# Gateway ids of the previews' own: never a real guest's, so no cache entry of a real checkout
# is ever touched by a preview.
SAMPLE_SESSIONS = {
    "stripe": "cs_test_PREVIEWa1B2c3D4e5F6g7H8i9J0kLmNoPqRsTuVwXyZ0123456789abcdefghij",
    "spreedly": "PREVIEWsampleSpreedlyToken01",
    "paypal": "PREVIEW000SAMPLE1",
}
SAMPLE_INVOICES = {"stripe": 39001, "spreedly": 39002, "paypal": 39003}


@dataclass(frozen=True)
class State:
    page: str
    key: str
    label: str
    render: Callable[[HttpRequest, State], HttpResponse]

    @property
    def title(self) -> str:
        return f"{PAGES[self.page]} — {self.label}"


PAGES = {
    "dashboard": "Dashboard",
    "invoices": "My invoices",
    "sign-in": "Sign in",
    "checkout": "Checkout complete",
    "errors": "Error pages",
}


def preview_request(
    request: HttpRequest,
    state: State,
    *,
    path: str,
    query: str = "",
    person: str | None = None,
) -> HttpRequest:
    """A request of the page's own, as `person` would send it (anonymous when None)."""
    fake = copy.copy(request)
    fake.method = "GET"
    fake.GET = QueryDict(query)
    fake.POST = QueryDict()
    fake.path = fake.path_info = path
    fake.META = {**request.META, "PATH_INFO": path, "QUERY_STRING": query, "REQUEST_METHOD": "GET"}
    fake.META.pop("HTTP_HX_REQUEST", None)
    fake.resolver_match = resolve(path)
    # A session object of its own that lives in memory only: it has no key, so nothing saves it.
    fake.session = import_module(settings.SESSION_ENGINE).SessionStore()
    fake.htmx = HtmxDetails(fake)
    fake.preview = state  # type: ignore[attr-defined]
    fake.member = None  # type: ignore[attr-defined]
    if person is not None:
        _sign_in_sample(fake, person)
    return fake


def _sign_in_sample(fake: HttpRequest, person: str) -> None:
    sample = SampleBackend(PEOPLE[person])
    me = sample.get_me("")
    business = sample.get_business("")
    tokens = members.StoredTokens(
        access_token="preview",  # noqa: S106 - never sent anywhere: the stand-in answers
        refresh_token="preview",  # noqa: S106
        expires_at=time.time() + 24 * 3600,
        client_id="preview",
    )
    members.write_tokens(fake.session, tokens)
    fake.session[members.MEMBER_KEY] = asdict(members.member_from(me))
    fake.session[members.LOCATION_KEY] = asdict(members.location_from(business))
    fake.member = members.current_member(fake)  # type: ignore[attr-defined]


# --- Renderers ---------------------------------------------------------------------------------


def _dashboard(person: str, *, down: bool = False):
    def render_state(request: HttpRequest, state: State) -> HttpResponse:
        fake = preview_request(request, state, path="/", person=person)
        with client.stand_in(SampleBackend(PEOPLE[person], down=down)):
            return portal_views.dashboard(fake)

    return render_state


def _invoices(person: str, query: str = "", *, down: bool = False):
    def render_state(request: HttpRequest, state: State) -> HttpResponse:
        fake = preview_request(request, state, path="/invoices/", query=query, person=person)
        with client.stand_in(SampleBackend(PEOPLE[person], down=down)):
            return invoice_views.invoice_list(fake)

    return render_state


def _sign_in(error: client.NexudusError | None = None, *, two_factor: bool = False):
    def render_state(request: HttpRequest, state: State) -> HttpResponse:
        fake = preview_request(request, state, path="/login/")
        with client.stand_in(SampleBackend()):
            if two_factor:
                fake.session[portal_views.PENDING_KEY] = {
                    "email": "grace@example.com",
                    "password": "",
                    "client_id": "preview",
                    "expires_at": time.time() + portal_views.PENDING_SECONDS,
                }
                return portal_views.render_login(fake, "/", step="totp")
            if error is not None:
                return portal_views.refusal_page(fake, "/", "ada@example.com", error)
            return portal_views.login(fake)

    return render_state


def _checkout(gateway: str, *, rejected: bool = False, down: bool = False, account: str = ""):
    def render_state(request: HttpRequest, state: State) -> HttpResponse:
        invoice_id, session_id = SAMPLE_INVOICES[gateway], SAMPLE_SESSIONS[gateway]
        parameter = next(g.parameter for g in checkout_views.GATEWAYS if g.name.lower() == gateway)
        path = f"/checkout/complete/{invoice_id}/"
        fake = preview_request(request, state, path=path, query=f"{parameter}={session_id}")
        purchase = checkout_views.parse_purchase(invoice_id, {parameter: [session_id]})
        rejected_tokens = frozenset({session_id}) if rejected else frozenset()
        with client.stand_in(SampleBackend(down=down, rejected_tokens=rejected_tokens)):
            if account:
                return checkout_views.render_state(
                    fake, "ready", purchase, registered=True, account=account
                )
            return checkout_views.landing(fake, purchase, remember=False)

    return render_state


def _bad_checkout_link(request: HttpRequest, state: State) -> HttpResponse:
    fake = preview_request(request, state, path="/checkout/complete/39001/", query="x=1")
    return checkout_views.render_state(fake, "bad_link", status=400)


def _error(status: int):
    def render_state(request: HttpRequest, state: State) -> HttpResponse:
        fake = preview_request(request, state, path="/preview/")
        if status == 404:
            return defaults.page_not_found(fake, Http404())
        # Django renders 400/403/500 without the request; a preview wants its banner.
        return render(fake, f"{status}.html", status=status)

    return render_state


STATES: tuple[State, ...] = (
    State("dashboard", "overdue", "Overdue unpaid invoices", _dashboard("ada")),
    State("dashboard", "nothing-unpaid", "Nothing unpaid", _dashboard("empty")),
    State("dashboard", "nexudus-down", "Nexudus down", _dashboard("ada", down=True)),
    State("invoices", "typical", "Typical member", _invoices("grace")),
    State("invoices", "empty", "No invoices", _invoices("empty")),
    State("invoices", "two-currencies", "Two currencies", _invoices("ada")),
    State(
        "invoices", "credit-notes", "Credit notes and drafts", _invoices("ada", "credit_notes=1")
    ),
    State("invoices", "long-history", "Page 3 of a long history", _invoices("busy", "paid_page=3")),
    State("invoices", "nexudus-down", "Nexudus down", _invoices("ada", down=True)),
    State("sign-in", "form", "The form", _sign_in()),
    State("sign-in", "wrong-password", "Wrong password", _sign_in(client.InvalidCredentials("p"))),
    State("sign-in", "two-factor", "The 2FA step", _sign_in(two_factor=True)),
    State("sign-in", "must-reset", "Must reset password", _sign_in(client.MustResetPassword("p"))),
    State("sign-in", "nexudus-down", "Nexudus down", _sign_in(client.Unavailable("preview"))),
    State("checkout", "stripe", "Stripe", _checkout("stripe")),
    State("checkout", "spreedly", "Spreedly", _checkout("spreedly")),
    State("checkout", "paypal", "PayPal", _checkout("paypal")),
    State("checkout", "rejected", "A rejected token", _checkout("stripe", rejected=True)),
    State("checkout", "nexudus-down", "Nexudus down", _checkout("paypal", down=True)),
    State("checkout", "bad-link", "A malformed link", _bad_checkout_link),
    State(
        "checkout",
        "signed-in",
        "Account created, signed in",
        _checkout("stripe", account="signed_in"),
    ),
    State(
        "checkout",
        "created",
        "Account created, not signed in",
        _checkout("spreedly", account="created"),
    ),
    State("checkout", "already", "Account already created", _checkout("paypal", account="already")),
    State("errors", "400", "400 Bad request", _error(400)),
    State("errors", "403", "403 Forbidden", _error(403)),
    State("errors", "404", "404 Not found", _error(404)),
    State("errors", "500", "500 Server error", _error(500)),
)


def find_state(page: str, key: str) -> State | None:
    return next((s for s in STATES if s.page == page and s.key == key), None)
