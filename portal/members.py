"""Member sign-in state: Nexudus tokens in the server-side session, refresh, access checks.

Tokens never leave the server: they live in the session (database or Redis), the browser only
holds the session cookie. Every call made on a member's behalf goes through `call_as_member`,
which refreshes the access token shortly before it expires or after a 401, then retries once.

Refresh tokens rotate upstream and there is one per client_id, so two concurrent requests of one
member must never both refresh: the loser would replay a dead refresh token and sign the member
out. Refreshes are therefore single-flight per session, behind a lock in the shared cache, and
the winner's tokens are written to the session store at once so the others can pick them up.
"""

from __future__ import annotations

import contextvars
import hashlib
import secrets
import time
from collections.abc import Callable, Iterator, Mapping
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from functools import wraps
from typing import Any, TypeVar

from django.contrib.sessions.backends.base import SessionBase, UpdateError
from django.core.cache import cache
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme, urlencode
from django.views.decorators.debug import sensitive_variables
from django_htmx.http import HttpResponseClientRedirect

from portal.nexudus import client
from portal.nexudus.records import Business, Me, Tokens

T = TypeVar("T")

TOKENS_KEY = "nexudus.tokens"
MEMBER_KEY = "nexudus.member"
LOCATION_KEY = "nexudus.location"

# Refresh this long before the access token's stated expiry, so a call never starts with a token
# that dies on the way.
REFRESH_MARGIN_SECONDS = 120
# How long a refresh may hold the lock (the client's own deadline is 8 s) and how long the others
# wait for it before giving up with a clear "try again".
REFRESH_LOCK_SECONDS = 15
REFRESH_WAIT_SECONDS = 10.0
REFRESH_POLL_SECONDS = 0.05
# Media tokens live about 60 s upstream; a cached one keeps at least 20 s for the redirect.
MEDIA_TOKEN_CACHE_SECONDS = 40

# Upstream calls of one page run side by side. Bounded per process, like the connection pool.
_CALLS = ThreadPoolExecutor(max_workers=16, thread_name_prefix="nexudus-call")

# Seams for tests: time and sleeping are looked up through the module, never bound at import.
clock: Callable[[], float] = time.time
sleep: Callable[[float], None] = time.sleep


class SessionExpired(Exception):
    """The member's Nexudus session cannot be renewed: they must sign in again."""


@dataclass(frozen=True, slots=True)
class StoredTokens:
    access_token: str
    refresh_token: str
    expires_at: float
    client_id: str
    # Grows by one at every refresh, so a stale copy of the session never wins over a newer one.
    generation: int = 0

    def __repr__(self) -> str:
        return f"StoredTokens(generation={self.generation}, expires_at={self.expires_at:.0f})"

    def expires_soon(self, now: float) -> bool:
        return now >= self.expires_at - REFRESH_MARGIN_SECONDS


@dataclass(frozen=True, slots=True)
class Member:
    """What pages may know about the signed-in member. No secrets in here, ever."""

    full_name: str
    email: str
    coworker_id: int | None


@dataclass(frozen=True, slots=True)
class Location:
    """The member's location, fetched once at sign-in: name, locale and money."""

    name: str
    language_culture: str
    currency_code: str | None
    time_zone: str | None


def new_client_id() -> str:
    # One refresh token exists per client_id upstream. A client_id of its own per browser session
    # keeps a member's phone and laptop from invalidating each other's refresh tokens.
    return f"member-portal.{secrets.token_hex(8)}"


def stored_tokens(tokens: Tokens, client_id: str, generation: int) -> StoredTokens:
    return StoredTokens(
        access_token=tokens.access_token,
        refresh_token=tokens.refresh_token,
        expires_at=clock() + tokens.expires_in,
        client_id=client_id,
        generation=generation,
    )


# --- Session access ---------------------------------------------------------------------------


def read_tokens(session: SessionBase) -> StoredTokens | None:
    raw = session.get(TOKENS_KEY)
    if not isinstance(raw, dict):
        return None
    try:
        return StoredTokens(**raw)
    except TypeError:
        return None


def write_tokens(session: SessionBase, tokens: StoredTokens) -> None:
    session[TOKENS_KEY] = asdict(tokens)


def current_member(request: HttpRequest) -> Member | None:
    raw = request.session.get(MEMBER_KEY)
    if not isinstance(raw, dict) or read_tokens(request.session) is None:
        return None
    try:
        return Member(**raw)
    except TypeError:
        # A session written by another release: treat it as signed out, never as a 500.
        return None


def current_location(request: HttpRequest) -> Location | None:
    raw = request.session.get(LOCATION_KEY)
    if not isinstance(raw, dict):
        return None
    try:
        return Location(**raw)
    except TypeError:
        return None


def start_member_session(
    request: HttpRequest, tokens: Tokens, client_id: str, me: Me, business: Business | None
) -> None:
    """Sign the member in: a new session key (no fixation), then tokens and who they are."""
    request.session.cycle_key()
    # Back to the normal session lifetime (a pending 2FA step shortened it).
    request.session.set_expiry(None)
    write_tokens(request.session, stored_tokens(tokens, client_id, generation=0))
    request.session[MEMBER_KEY] = asdict(member_from(me))
    if business is not None:
        request.session[LOCATION_KEY] = asdict(location_from(business))


def end_member_session(request: HttpRequest) -> None:
    # Nexudus has no revoke endpoint; dropping the tokens here is what signing out means.
    request.session.flush()


def member_from(me: Me) -> Member:
    default = next((p for p in me.profiles if p.is_default), None)
    profile = default or (me.profiles[0] if me.profiles else None)
    return Member(
        full_name=me.full_name or (profile.full_name if profile else "") or me.email or "",
        email=me.email or "",
        coworker_id=profile.id if profile else None,
    )


def location_from(business: Business) -> Location:
    return Location(
        name=business.name or "",
        language_culture=business.language_culture or "en-GB",
        currency_code=business.currency.code if business.currency else None,
        time_zone=business.time_zone,
    )


# --- Calls on the member's behalf -------------------------------------------------------------


@sensitive_variables()
def call_as_member(request: HttpRequest, call: Callable[[str], T]) -> T:
    """Run `call(access_token)`, refreshing before expiry or once after a 401.

    Raises SessionExpired when the tokens cannot be renewed; other client errors pass through,
    including a 401 that survives a successful refresh: Nexudus also answers 401 for "not
    allowed", which must not sign the member out.
    """
    tokens = _usable_tokens(request)
    try:
        return call(tokens.access_token)
    except client.Unauthorized:
        tokens = refresh_tokens(request, tokens)
        return call(tokens.access_token)


def _usable_tokens(request: HttpRequest) -> StoredTokens:
    """The session's tokens, renewed first if they are about to expire."""
    tokens = read_tokens(request.session)
    if tokens is None:
        raise SessionExpired
    if tokens.expires_soon(clock()):
        tokens = refresh_tokens(request, tokens)
    return tokens


@sensitive_variables()
def refresh_tokens(request: HttpRequest, stale: StoredTokens) -> StoredTokens:
    """Renew `stale` once per session, however many requests ask at the same time."""
    session = request.session
    with refresh_lock(session.session_key or "") as acquired:
        newer = _newer_tokens_in_store(session, stale)
        if newer is not None:
            return newer
        if not acquired:
            # Someone else held the lock for the whole wait and nothing newer arrived.
            raise client.Unavailable("token refresh is taking too long")
        try:
            renewed = client.refresh(stale.refresh_token, client_id=stale.client_id)
        except client.Unauthorized as error:
            end_member_session(request)
            raise SessionExpired from error
        tokens = stored_tokens(renewed, stale.client_id, generation=stale.generation + 1)
        write_tokens(session, tokens)
        # Written now, not at the end of the response: the requests waiting on the lock read it.
        try:
            session.save()
        except UpdateError as error:
            # The session was ended meanwhile (signed out in another tab).
            raise SessionExpired from error
        return tokens


@contextmanager
def refresh_lock(session_key: str) -> Iterator[bool]:
    """Hold the per-session refresh lock; yields False if it could not be had in time."""
    key = f"member-refresh-lock:{session_key}"
    token = secrets.token_hex(8)
    deadline = clock() + REFRESH_WAIT_SECONDS
    acquired = cache.add(key, token, timeout=REFRESH_LOCK_SECONDS)
    while not acquired and clock() < deadline:
        sleep(REFRESH_POLL_SECONDS)
        acquired = cache.add(key, token, timeout=REFRESH_LOCK_SECONDS)
    try:
        yield acquired
    finally:
        if acquired and cache.get(key) == token:
            cache.delete(key)


def _newer_tokens_in_store(session: SessionBase, stale: StoredTokens) -> StoredTokens | None:
    """Tokens another request saved after `stale` was read, adopted into this request's session."""
    if not session.session_key:
        return None
    # A second store object on the same key reads what is saved now, not this request's copy.
    stored = read_tokens(type(session)(session_key=session.session_key))
    if stored is None or stored.generation <= stale.generation:
        return None
    write_tokens(session, stored)
    return stored


def keep_newest_tokens(session: SessionBase) -> None:
    """Before a modified session is saved, never let an older token pair overwrite a newer one.

    A request that started before another one refreshed still holds the old pair in memory; if it
    saves the session for any other reason it must not resurrect a dead refresh token.
    """
    mine = read_tokens(session)
    if mine is not None:
        _newer_tokens_in_store(session, mine)


@sensitive_variables()
def call_all_as_member(
    request: HttpRequest, calls: Mapping[str, Callable[[str], T]]
) -> dict[str, T | client.NexudusError]:
    """Run independent calls at once, so a page costs one upstream round trip, not several.

    Each result is the call's value or its NexudusError, so one failing group never takes the
    others down. Tokens are renewed here, before the calls fan out, and only this thread ever
    touches the session; a call that still meets a 401 is retried through `call_as_member`.
    """
    try:
        access_token = _usable_tokens(request).access_token
    except client.NexudusError as error:
        # Nexudus is down for the refresh: every call fails the same, none with a 500.
        return dict.fromkeys(calls, error)
    # Each call runs in a copy of this thread's context, so a preview's stand-in goes along.
    futures = {
        name: _CALLS.submit(contextvars.copy_context().run, call, access_token)
        for name, call in calls.items()
    }
    results: dict[str, T | client.NexudusError] = {}
    for name, future in futures.items():
        try:
            results[name] = future.result()
        except client.Unauthorized:
            results[name] = _retry_as_member(request, calls[name])
        except client.NexudusError as error:
            results[name] = error
    return results


def _retry_as_member(request: HttpRequest, call: Callable[[str], T]) -> T | client.NexudusError:
    try:
        return call_as_member(request, call)
    except client.NexudusError as error:
        return error


@sensitive_variables()
def media_token(request: HttpRequest) -> str:
    """A media JWT for this member's downloads, from the shared cache when one is fresh.

    Nexudus media tokens live about 60 s. Cached for less than that, a token still has time
    left when the browser follows the redirect; keyed by member, it never serves anyone else.
    """
    member = current_member(request)
    if member is None:
        raise SessionExpired
    if member.coworker_id is None and not member.email:
        # Nothing tells this member apart from another: no cache at all.
        return call_as_member(request, client.get_media_token).jwt
    identity = f"{member.coworker_id}|{member.email.lower()}".encode()
    key = f"media-jwt:{hashlib.sha256(identity).hexdigest()}"
    cached = cache.get(key)
    if isinstance(cached, str) and cached:
        return cached
    jwt = call_as_member(request, client.get_media_token).jwt
    cache.set(key, jwt, timeout=MEDIA_TOKEN_CACHE_SECONDS)
    return jwt


# --- Access checks ----------------------------------------------------------------------------


def public(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Mark a view as reachable without signing in (sign-in, guest checkout, health)."""

    @wraps(view)
    def wrapped(*args: Any, **kwargs: Any) -> HttpResponse:
        return view(*args, **kwargs)

    wrapped.member_not_required = True  # type: ignore[attr-defined]
    return wrapped


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
