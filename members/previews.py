"""Staff preview states of the dashboard and sign-in (see preview.registry)."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from members.pages import dashboard_page, refusal_page, sign_in_page
from nexudus import InvalidCredentials, MustResetPassword, NexudusError, Unavailable
from preview.registry import State, register, register_page
from preview.samples import PEOPLE, SampleClient, SampleLinks, stale_copies
from web.formatting import location_today
from web.pages import Page


def _dashboard(person: str, *, down: bool = False, stale: bool = False):
    def build() -> Page:
        home = PEOPLE[person].home
        today = location_today(home.time_zone)
        options = {"culture": home.culture, "time_zone": home.time_zone}
        links = SampleLinks(person)
        copies = stale_copies() if stale else None
        if copies is not None:
            # The member's earlier visit, while Nexudus answered: it kept what it showed.
            dashboard_page(SampleClient(person, copies=copies), today, links=links, **options)
        client = SampleClient(person, down=down or stale, copies=copies)
        return dashboard_page(client, today, links=links, **options)

    return build


def _refused(error: NexudusError):
    return lambda: refusal_page(error, next_url="/", email="ada@example.com")


register_page("dashboard", _("Dashboard"), 10)
register(State("dashboard", "overdue", _("Overdue unpaid invoices"), _dashboard("ada"), "ada"))
register(State("dashboard", "nothing-unpaid", _("Nothing unpaid"), _dashboard("empty"), "empty"))
register(State("dashboard", "nexudus-down", _("Nexudus down"), _dashboard("ada", down=True), "ada"))
register(
    State(
        "dashboard",
        "stale",
        _("Nexudus down, last good data"),
        _dashboard("ada", stale=True),
        "ada",
    )
)

register_page("sign-in", _("Sign in"), 30)
register(
    State("sign-in", "form", _("The form"), lambda: sign_in_page(next_url="/"), path="/login/")
)
register(
    State(
        "sign-in",
        "wrong-password",
        _("Wrong password"),
        _refused(InvalidCredentials("preview")),
        path="/login/",
    )
)
register(
    State(
        "sign-in",
        "two-factor",
        _("The 2FA step"),
        lambda: sign_in_page(next_url="/", step="totp", email="grace@example.com"),
        path="/login/",
    )
)
register(
    State(
        "sign-in",
        "must-reset",
        _("Must reset password"),
        _refused(MustResetPassword("preview")),
        path="/login/",
    )
)
register(
    State(
        "sign-in",
        "nexudus-down",
        _("Nexudus down"),
        _refused(Unavailable("preview")),
        path="/login/",
    )
)
