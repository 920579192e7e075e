"""Who is signed in: the member and their location, as the server-side session remembers them.

Pages may know the member's name and location; the tokens stay in `members.tokens`, behind
`request.nexudus`.
"""

from __future__ import annotations

import secrets
import time
from dataclasses import asdict, dataclass

from django.contrib.sessions.backends.base import SessionBase
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme, urlencode
from django_htmx.http import HttpResponseClientRedirect

from members.tokens import read_record, read_tokens, write_tokens
from nexudus import StoredTokens, Welcome, links
from nexudus.records import Business, Me

MEMBER_KEY = "nexudus.member"
LOCATION_KEY = "nexudus.location"


@dataclass(frozen=True, slots=True)
class Member:
    """What pages may know about the signed-in member. No secrets in here, ever."""

    full_name: str
    email: str
    coworker_id: int | None
    # Hosts of the member's own locations, learned at sign-in: their PDF links may go there.
    trusted_hosts: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        # The session keeps it as a JSON list.
        object.__setattr__(self, "trusted_hosts", tuple(self.trusted_hosts))

    @property
    def identity(self) -> str | None:
        """Tells this member apart from any other, for per-member caches; None if nothing does."""
        if self.coworker_id is None and not self.email:
            return None
        return f"{self.coworker_id}|{self.email.lower()}"


@dataclass(frozen=True, slots=True)
class Location:
    """The member's location, fetched once at sign-in: name, locale and money."""

    name: str
    language_culture: str
    currency_code: str | None
    time_zone: str | None
    business_id: int | None = None  # whose colours the shell wears


def new_client_id() -> str:
    # One refresh token exists per client_id upstream. A client_id of its own per browser
    # session keeps a member's phone and laptop from invalidating each other's refresh tokens.
    return f"member-portal.{secrets.token_hex(8)}"


def current_member(session: SessionBase) -> Member | None:
    if read_tokens(session) is None:
        return None
    return read_record(session, MEMBER_KEY, Member)


def current_location(session: SessionBase) -> Location | None:
    return read_record(session, LOCATION_KEY, Location)


def start_member_session(request: HttpRequest, welcome: Welcome, client_id: str) -> None:
    """Sign the member in: a new session key (no fixation), then tokens and who they are."""
    session = request.session
    session.cycle_key()
    # Back to the normal session lifetime (a pending two-step sign-in shortened it).
    session.set_expiry(None)
    write_tokens(session, StoredTokens.issued(welcome.tokens, client_id, time.time()))
    member = member_from(welcome.me, welcome.business)
    session[MEMBER_KEY] = asdict(member)
    location = location_from(welcome.business) if welcome.business else None
    if location is not None:
        session[LOCATION_KEY] = asdict(location)
    request.member = member  # type: ignore[attr-defined]
    request.location = location  # type: ignore[attr-defined]


def end_member_session(request: HttpRequest) -> None:
    # Nexudus has no revoke endpoint; dropping the tokens here is what signing out means.
    request.session.flush()


def member_from(me: Me, business: Business | None = None) -> Member:
    default = next((p for p in me.profiles if p.is_default), None)
    profile = default or (me.profiles[0] if me.profiles else None)
    return Member(
        full_name=me.full_name or (profile.full_name if profile else "") or me.email or "",
        email=me.email or "",
        coworker_id=profile.id if profile else None,
        trusted_hosts=own_location_hosts(me, business),
    )


def own_location_hosts(me: Me, business: Business | None) -> tuple[str, ...]:
    """The member's home location and the session's location, as link hosts (no duplicates)."""
    addresses = [me.default_business_web_address, business.web_address if business else None]
    hosts = (links.location_host(address) for address in addresses)
    return tuple(dict.fromkeys(host for host in hosts if host))


def location_from(business: Business) -> Location:
    return Location(
        name=business.name or "",
        language_culture=business.language_culture or "en-GB",
        currency_code=business.currency_code,
        time_zone=business.time_zone,
        business_id=business.id,
    )


def show_the_space(request: HttpRequest) -> None:
    """A visitor without a session location (sign-in, a guest) still sees the space's name and
    colour: its public face, asked of Nexudus without a token and kept a few minutes."""
    if getattr(request, "location", None) is None:
        business = request.nexudus.public_business()  # type: ignore[attr-defined]
        if business is not None:
            request.location = location_from(business)  # type: ignore[attr-defined]


def safe_next(request: HttpRequest, candidate: str | None) -> str:
    """Where to go after sign-in: a local path of ours, or the dashboard."""
    fallback = reverse("dashboard")
    if not candidate or not candidate.startswith("/") or candidate.startswith(("//", "/\\")):
        return fallback
    if any(ch in candidate for ch in "\r\n\t\\"):
        return fallback
    allowed = url_has_allowed_host_and_scheme(
        candidate, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    )
    return candidate if allowed else fallback


def redirect_to_sign_in(request: HttpRequest, reason: str | None = None) -> HttpResponse:
    query = {"next": request.get_full_path()}
    if reason:
        query["reason"] = reason
    url = f"{reverse('login')}?{urlencode(query)}"
    if getattr(request, "htmx", False):
        # A fragment swap cannot show a sign-in page: send the whole window there.
        return HttpResponseClientRedirect(url)
    return redirect(url)
