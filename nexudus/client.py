"""A Nexudus client bound to one browser session: what views call, as `request.nexudus`.

    page = request.nexudus.list_invoices(InvoiceQuery(paid=False))

The client takes the member's tokens from a `TokenStore` (the server-side session), renews the
access token shortly before it expires or once after a 401, and retries the call. Views never
see a token, build a closure or know that a refresh happened.

Every call the client makes ends within one budget, the request's (`budget`, in seconds from the
client's creation): a page that makes three slow calls answers in about the budget, not three
times a call's deadline.

Refresh tokens rotate upstream and there is one per client_id, so two concurrent requests of
one member must never both refresh: the loser would replay a dead refresh token and sign the
member out. Refreshes are therefore single-flight per session (the store's lock), and the
winner's tokens are saved at once so the others pick them up instead of refreshing again.
"""

from __future__ import annotations

import contextvars
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import AbstractContextManager
from dataclasses import dataclass
from functools import cached_property
from typing import Protocol, TypeVar

from django.core.cache import cache
from django.views.decorators.debug import sensitive_variables

from nexudus.api import FIRST_PAGE, Api, InvoiceQuery
from nexudus.copies import MemberCopies
from nexudus.errors import NexudusError, SessionExpired, Unauthorized, Unavailable
from nexudus.http import BUDGET_SPENT
from nexudus.records import (
    BrandColors,
    Business,
    Configuration,
    Invoice,
    InvoicePage,
    Me,
    Registration,
    Tokens,
)
from web.crypto import Unsealable, keyed_digest, seal, unseal

T = TypeVar("T")

# Refresh this long before the access token's stated expiry, so a call never starts with a
# token that dies on the way.
REFRESH_MARGIN_SECONDS = 120
# A location's public face (name, culture) and the operator's settings are kept this long per
# API host; its colours, which change rarely and only members may ask for, a day.
PUBLIC_BUSINESS_CACHE_SECONDS = 300
CONFIGURATION_CACHE_SECONDS = 300
BRAND_CACHE_SECONDS = 24 * 3600
# Media tokens live about 60 s upstream; a cached one keeps at least 20 s for the redirect.
MEDIA_TOKEN_CACHE_SECONDS = 40
MEDIA_TOKEN_PURPOSE = "nexudus.media-token"  # noqa: S105 - a key-derivation label

# Upstream calls of one page run side by side. Bounded per process, like the connection pool.
_CALLS = ThreadPoolExecutor(max_workers=16, thread_name_prefix="nexudus-call")
# A call cut at the budget's end reports its own error a moment later; wait that moment for it.
_CUT_GRACE_SECONDS = 0.25


@dataclass(frozen=True, slots=True)
class StoredTokens:
    """A member's token pair as a session keeps it."""

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

    @classmethod
    def issued(
        cls, tokens: Tokens, client_id: str, now: float, generation: int = 0
    ) -> StoredTokens:
        return cls(
            access_token=tokens.access_token,
            refresh_token=tokens.refresh_token,
            expires_at=now + tokens.expires_in,
            client_id=client_id,
            generation=generation,
        )


class TokenStore(Protocol):
    """Where one browser session keeps its tokens (members.tokens implements it)."""

    def load(self) -> StoredTokens | None:
        """This request's copy."""

    def load_saved(self) -> StoredTokens | None:
        """What the shared store holds right now (another request may have saved newer)."""

    def keep(self, tokens: StoredTokens) -> None:
        """Put tokens in this request's copy; saved with the session."""

    def save(self, tokens: StoredTokens) -> None:
        """Keep and save at once, so requests waiting on the refresh lock can read them."""

    def refresh_lock(self) -> AbstractContextManager[bool]:
        """Hold the session's refresh lock; yields False if it could not be had in time."""

    def end(self) -> None:
        """The session is over (its tokens are dead)."""


@dataclass(frozen=True, slots=True)
class Welcome:
    """What signing in brings back: the tokens, who the member is, and their location."""

    tokens: Tokens
    me: Me
    business: Business | None


class MemberClient:
    """The Nexudus calls one browser session makes, anonymous or signed in."""

    def __init__(
        self,
        api: Api,
        store: TokenStore | None = None,
        *,
        identity: str | None = None,
        coworker_id: int | None = None,
        clock: Callable[[], float] = time.time,
        budget: float | None = None,
    ) -> None:
        # Every call ends by the budget's end, whatever its own deadline; side-by-side calls
        # share it, so the request as a whole is bounded, not each call.
        self.api = api if budget is None else api.until(api.transport.clock() + budget)
        self._budget = budget
        self.store = store
        # Who the member is, for per-member caches (never a token): None caches nothing.
        self.identity = identity
        self.coworker_id = coworker_id
        self.clock = clock

    def with_fresh_budget(self) -> MemberClient:
        """This client with its budget started anew. A streamed export outlives the request
        that began it: each of its steps (one PDF) gets a budget of its own."""
        return MemberClient(
            self.api,
            self.store,
            identity=self.identity,
            coworker_id=self.coworker_id,
            clock=self.clock,
            budget=self._budget,
        )

    @cached_property
    def copies(self) -> MemberCopies | None:
        """The member's kept copies (fresh while webhooks vouch, stale for outages); None for
        a visitor, or a member Nexudus gave no id (webhooks could not name them). One per
        client, so one per request: it reads the member's generation once."""
        if self.coworker_id is None:
            return None
        return MemberCopies(self.api.base_url, self.coworker_id, clock=self.clock)

    # --- Signing in (no member yet) ---------------------------------------------------------

    @sensitive_variables()
    def sign_in(
        self, email: str, password: str, *, client_id: str, totp: str | None = None
    ) -> Welcome:
        """The password grant, then who the member is and where, asked side by side."""
        tokens = self.api.sign_in(email, password, client_id=client_id, totp=totp)
        return self._welcome(tokens)

    @sensitive_variables()
    def exchange(self, one_time_token: str) -> Welcome:
        """Sign a new customer in with the one-time token registerByToken returned."""
        return self._welcome(self.api.exchange_token(one_time_token))

    @sensitive_variables()
    def _welcome(self, tokens: Tokens) -> Welcome:
        token = tokens.access_token
        business = _CALLS.submit(contextvars.copy_context().run, self.api.get_business, token)
        settings_known = cache.get(self._configuration_key()) is not None
        configuration = (
            None
            if settings_known
            else _CALLS.submit(contextvars.copy_context().run, self.api.get_configuration, token)
        )
        me = self.api.get_me(token)
        try:
            location: Business | None = self._result(business)
        except NexudusError:
            # The location's name and locale are niceties; sign the member in without them.
            location = None
        if configuration is not None:
            self._keep_configuration(configuration)
        if location is not None and location.id is not None:
            self._learn_brand(token, location.id)
        return Welcome(tokens, me, location)

    # --- Guests -----------------------------------------------------------------------------

    def public_business(self) -> Business | None:
        """The location's public face (name, culture), for guests; None when Nexudus will not
        say. Kept a few minutes per API host: it changes rarely and every guest page shows it."""
        key = f"public-business:{_host_key(self.api.base_url)}"
        cached = cache.get(key)
        if isinstance(cached, Business) or cached is False:
            return cached or None
        try:
            business = self.api.get_public_business()
        except NexudusError:
            # Not known now: ask again in a minute, not on every guest's page view.
            cache.set(key, False, timeout=60)
            return None
        cache.set(key, business, timeout=PUBLIC_BUSINESS_CACHE_SECONDS)
        return business

    @sensitive_variables()
    def guest_pdf(self, invoice_id: int, *, token: str) -> bytes:
        return self.api.get_invoice_pdf_by_token(invoice_id, token=token)

    @sensitive_variables()
    def register_guest(self, invoice_id: int, *, token: str) -> Registration:
        return self.api.register_by_token(invoice_id, token=token)

    # --- The member's own -------------------------------------------------------------------

    def business(self) -> Business:
        return self.call(self.api.get_business)

    def configuration(self) -> Configuration | None:
        """The operator's settings, kept a few minutes per API host; None when Nexudus will not
        say (callers decide what that means: fail open for reading, closed for paying)."""
        cached = cache.get(self._configuration_key())
        if isinstance(cached, Configuration):
            return cached
        try:
            configuration = self.call(self.api.get_configuration)
        except NexudusError:
            return None
        cache.set(self._configuration_key(), configuration, CONFIGURATION_CACHE_SECONDS)
        return configuration

    def _configuration_key(self) -> str:
        return f"configuration:{_host_key(self.api.base_url)}"

    def _keep_configuration(self, pending: Future[Configuration]) -> None:
        try:
            configuration = self._result(pending)
        except NexudusError:
            return  # a page asks again later
        cache.set(self._configuration_key(), configuration, CONFIGURATION_CACHE_SECONDS)

    @staticmethod
    def known_brand(business_id: int | None) -> BrandColors | None:
        """The location's colours if a member's sign-in has learnt them (guests cannot ask)."""
        if business_id is None:
            return None
        cached = cache.get(f"brand:{business_id}")
        return cached if isinstance(cached, BrandColors) else None

    @sensitive_variables()
    def _learn_brand(self, access_token: str, business_id: int) -> None:
        if self.known_brand(business_id) is not None:
            return
        try:
            colors = self.api.get_brand_colors(access_token, business_id)
        except Unavailable:
            return  # slow or down (or the sign-in's budget is spent): ask at the next sign-in
        except NexudusError:
            colors = BrandColors(primary=None)  # none to learn; ask again tomorrow
        cache.set(f"brand:{business_id}", colors, BRAND_CACHE_SECONDS)

    def list_invoices(self, query: InvoiceQuery = FIRST_PAGE) -> InvoicePage:
        return self.call(self.api.list_invoices, query)

    def list_invoices_each(
        self, queries: Sequence[InvoiceQuery]
    ) -> list[InvoicePage | NexudusError]:
        """Several pages at once, so a page costs one upstream round trip, not several.

        Each result is the page or its NexudusError, so one failing group never takes the
        others down.
        """
        return self.call_each(self.api.list_invoices, queries)

    def get_invoice(self, invoice_id: int, *, fields: Sequence[str] | None = None) -> Invoice:
        return self.call(self.api.get_invoice, invoice_id, fields=fields)

    @sensitive_variables()
    def media_token(self, *, fresh: bool = False) -> str:
        """A media JWT for this member's downloads, from the shared cache when one is fresh.

        Nexudus media tokens live about 60 s. Cached for less than that, a token still has
        time left when the browser follows the redirect; keyed by member, it never serves
        anyone else. The key is a keyed digest (it names no one) and the token is sealed:
        whoever reads the cache (Redis) finds neither an e-mail nor a usable token.
        `fresh` skips the cache (Nexudus refused the cached one) and caches the new one.
        """
        if not self.identity:
            return self.call(self.api.get_media_token).jwt
        key = f"media-jwt:{keyed_digest(MEDIA_TOKEN_PURPOSE, self.identity)}"
        cached = None if fresh else cache.get(key)
        if isinstance(cached, str) and cached:
            try:
                return unseal(cached, purpose=MEDIA_TOKEN_PURPOSE).decode()
            except (Unsealable, UnicodeDecodeError):
                cache.delete(key)  # sealed with a retired key: fetch a fresh one
        jwt = self.call(self.api.get_media_token).jwt
        cache.set(key, seal(jwt.encode(), purpose=MEDIA_TOKEN_PURPOSE), MEDIA_TOKEN_CACHE_SECONDS)
        return jwt

    @sensitive_variables()
    def invoice_pdfs(
        self, invoices: Iterable[Invoice], member_hosts: Sequence[str] = (), *, ahead: int = 4
    ) -> Iterator[tuple[Invoice, bytes | NexudusError]]:
        """Each invoice's PDF (or why not), in order, fetched here for an export.

        Up to `ahead` downloads run side by side, so a long export costs about one round trip
        per `ahead` PDFs while at most `ahead` + 1 PDFs sit in memory. Media JWTs are asked for
        in this thread only (it alone touches the session) and renewed as they expire: the
        cached one is used until Nexudus refuses it, then a fresh one is fetched once and the
        refused download is tried again with it. A media JWT never leaves this method.
        """
        pending: deque[tuple[MemberClient, Invoice, str, Future[bytes]]] = deque()
        source = iter(invoices)
        refused: set[str] = set()
        try:
            while True:
                while len(pending) <= ahead:
                    invoice = next(source, None)
                    if invoice is None:
                        break
                    # One budget per PDF: the request's own ran out long ago in a long zip.
                    step = self.with_fresh_budget()
                    pending.append((step, *step._pdf_download(invoice, member_hosts)))
                if not pending:
                    return
                step, invoice, token, download = pending.popleft()
                yield invoice, step._pdf_result(invoice, token, download, member_hosts, refused)
        finally:
            for _, _, _, download in pending:
                download.cancel()

    @sensitive_variables()
    def _pdf_download(
        self, invoice: Invoice, member_hosts: Sequence[str]
    ) -> tuple[Invoice, str, Future[bytes]]:
        try:
            token = self.media_token()
        except (NexudusError, SessionExpired) as error:
            return invoice, "", _failed(error)
        download = _CALLS.submit(
            contextvars.copy_context().run,
            self.api.get_invoice_pdf,
            token,
            invoice.id,
            invoice.business_web_address,
            member_hosts,
        )
        return invoice, token, download

    @sensitive_variables()
    def _pdf_result(
        self,
        invoice: Invoice,
        token: str,
        download: Future[bytes],
        member_hosts: Sequence[str],
        refused: set[str],
    ) -> bytes | NexudusError:
        try:
            return download.result()
        except Unauthorized:
            pass  # the media JWT expired on the way: renew it (once per JWT) and try again
        except NexudusError as error:
            return error
        except SessionExpired:
            return Unavailable("session expired")
        try:
            refused.add(token)
            renewed = self.media_token()
            if renewed in refused:
                renewed = self.media_token(fresh=True)
            return self.api.get_invoice_pdf(
                renewed, invoice.id, invoice.business_web_address, member_hosts
            )
        except NexudusError as error:
            return error
        except SessionExpired:
            return Unavailable("session expired")

    # --- Tokens -----------------------------------------------------------------------------

    @sensitive_variables()
    def call(self, endpoint: Callable[..., T], *args: object, **kwargs: object) -> T:
        """`endpoint(access_token, ...)`, renewing before expiry or once after a 401.

        Raises SessionExpired when the tokens cannot be renewed; other errors pass through,
        including a 401 that survives a successful refresh: Nexudus also answers 401 for "not
        allowed", which must not sign the member out.
        """
        tokens = self._usable_tokens()
        try:
            return endpoint(tokens.access_token, *args, **kwargs)
        except Unauthorized:
            tokens = self._refresh(tokens)
            return endpoint(tokens.access_token, *args, **kwargs)

    @sensitive_variables()
    def call_each(
        self, endpoint: Callable[[str, T], object], arguments: Iterable[T]
    ) -> list[object | NexudusError]:
        """`endpoint(access_token, argument)` for each argument, side by side.

        Tokens are renewed here, before the calls fan out, and only this thread ever touches
        the session; a call that still meets a 401 is retried through `call`.
        """
        arguments = list(arguments)
        try:
            access_token = self._usable_tokens().access_token
        except NexudusError as error:
            # Nexudus is down for the refresh: every call fails the same, none with a 500.
            return [error for _ in arguments]
        futures = [
            _CALLS.submit(contextvars.copy_context().run, endpoint, access_token, argument)
            for argument in arguments
        ]
        results: list[object | NexudusError] = []
        for argument, future in zip(arguments, futures, strict=True):
            try:
                results.append(self._result(future))
            except Unauthorized:
                results.append(self._retry(endpoint, argument))
            except NexudusError as error:
                results.append(error)
        return results

    def _result(self, future: Future[T]) -> T:
        """A side-by-side call's result, waited for no longer than the budget lasts: a call
        still queued for a pool thread by then would only fail at once when it starts."""
        left = self.api.time_left()
        wait = None if left is None else max(0.0, left) + _CUT_GRACE_SECONDS
        try:
            return future.result(timeout=wait)
        except TimeoutError:
            future.cancel()
            raise Unavailable(BUDGET_SPENT) from None

    def _retry(self, endpoint: Callable[[str, T], object], argument: T) -> object:
        try:
            return self.call(endpoint, argument)
        except NexudusError as error:
            return error

    def keep_newest_tokens(self) -> None:
        """Before a changed session is saved, never let an older pair overwrite a newer one.

        A request that started before another one refreshed still holds the old pair in
        memory; if it saves the session for any other reason it must not resurrect a dead
        refresh token.
        """
        store = self.store
        mine = store.load() if store is not None else None
        if store is not None and mine is not None:
            self._adopt_newer(store, mine)

    def _store(self) -> TokenStore:
        if self.store is None:
            raise SessionExpired
        return self.store

    def _usable_tokens(self) -> StoredTokens:
        """The session's tokens, renewed first if they are about to expire."""
        tokens = self._store().load()
        if tokens is None:
            raise SessionExpired
        if tokens.expires_soon(self.clock()):
            tokens = self._refresh(tokens)
        return tokens

    @sensitive_variables()
    def _refresh(self, stale: StoredTokens) -> StoredTokens:
        """Renew `stale` once per session, however many requests ask at the same time."""
        store = self._store()
        with store.refresh_lock() as acquired:
            newer = self._adopt_newer(store, stale)
            if newer is not None:
                return newer
            if not acquired:
                # Someone else held the lock for the whole wait and nothing newer arrived.
                raise Unavailable("token refresh is taking too long")
            try:
                renewed = self.api.refresh(stale.refresh_token, client_id=stale.client_id)
            except Unauthorized as error:
                store.end()
                raise SessionExpired from error
            tokens = StoredTokens.issued(
                renewed, stale.client_id, self.clock(), generation=stale.generation + 1
            )
            # Saved now, not at the end of the response: the requests waiting on the lock read it.
            store.save(tokens)
            return tokens

    @staticmethod
    def _adopt_newer(store: TokenStore, than: StoredTokens) -> StoredTokens | None:
        """Tokens another request saved after `than` was read, taken into this request."""
        saved = store.load_saved()
        if saved is None or saved.generation <= than.generation:
            return None
        store.keep(saved)
        return saved


def _failed(error: BaseException) -> Future[bytes]:
    future: Future[bytes] = Future()
    future.set_exception(error)
    return future


def _host_key(base_url: str) -> str:
    # Keyed like every cache key: no address in the clear in the cache.
    return keyed_digest("nexudus.api-host", base_url)[:32]
