"""The one HTTP transport every Nexudus call goes through.

It decides, for every call: how long we wait (connect, read, and a total deadline, which a
request's budget can shorten), what we retry (idempotent GETs on connection errors, cut bodies
and 500/502/503/504, through urllib3's `Retry` on the adapter, with capped full-jitter backoff;
never the half-open circuit's probe), what we refuse (redirects, cookies, proxies from the
environment, bodies over a size cap, and calls to a host whose circuit is open or whose places
are all taken: `guards`) and what we write down
(method, path, status, time: never a query string, a header or a body).

Failures leave as the exceptions in `errors`; callers never see a `requests` exception.
"""

from __future__ import annotations

import heapq
import http.cookiejar
import itertools
import logging
import random as _random
import socket
import ssl
import threading
import time
from collections.abc import Callable, Collection
from contextlib import suppress
from dataclasses import dataclass, field
from types import TracebackType
from typing import Any, Self
from urllib.parse import urlsplit

import requests
import urllib3.exceptions
from requests.adapters import HTTPAdapter
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool
from urllib3.response import BaseHTTPResponse
from urllib3.util.retry import Retry

from nexudus import errors
from nexudus.guards import CIRCUIT_OPEN, Bulkhead, CircuitBreaker, HostGuard
from web.logging import RedactQueryStrings
from web.requestlog import record_upstream_call

VERSION = "0.2.0"
USER_AGENT = f"nexudus-member-portal/{VERSION} (+python-requests)"

logger = logging.getLogger("nexudus")

MiB = 1024 * 1024
# Only GET is safe to send twice: a repeated POST /api/token would burn a refresh token or
# log in twice, a repeated registerByToken could create two customers.
RETRY_METHODS = frozenset({"GET"})
# A 500 too: on a GET it is most often a passing fault upstream, and a member's PDF click
# should not fail for one (the load test injects 5 % of them). At most two retries, jittered,
# within the call's deadline and the request's budget, so a sick Nexudus costs three tries.
RETRY_STATUSES = frozenset({500, 502, 503, 504})
# Nexudus throttles with 409 (legacy) or 429. Waiting out Retry-After (up to an hour) would
# hold a worker thread hostage; the caller shows a "try again" message instead.
THROTTLE_STATUSES = frozenset({409, 429})
# read1() returns what has arrived, up to this much; the deadline is checked between reads.
READ_CHUNK = 64 * 1024
# The reason of a call refused or cut because the request it serves has spent its budget.
BUDGET_SPENT = "request budget spent"
# Failures that only mean "not within the time we gave it": they count against the host only
# when the call had its full time (a call the request's budget left a moment proves nothing).
_TIMEOUTS = frozenset({"connect timeout", "read timeout", "deadline exceeded", BUDGET_SPENT})


class Transport(requests.Session):
    """A `requests.Session` whose every call is bounded in time, size and retries."""

    def __init__(
        self,
        *,
        connect_timeout: float = 3.05,
        read_timeout: float = 5.0,
        deadline: float = 8.0,
        max_retries: int = 2,
        backoff_factor: float = 0.25,
        backoff_max: float = 2.0,
        max_body_bytes: int = 5 * MiB,
        pool_maxsize: int = 16,
        failure_threshold: int = 5,
        cool_down: float = 15.0,
        max_calls_per_host: int = 4,
        user_agent: str = USER_AGENT,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
        random: Callable[[], float] = _random.random,
    ) -> None:
        super().__init__()
        self.connect_timeout = connect_timeout
        self.read_timeout = read_timeout
        self.deadline = deadline
        self.max_retries = max_retries
        self.backoff_factor = backoff_factor
        self.backoff_max = backoff_max
        self.max_body_bytes = max_body_bytes
        self.failure_threshold = failure_threshold
        self.cool_down = cool_down
        self.max_calls_per_host = max_calls_per_host
        self._guards: dict[str, HostGuard] = {}
        self._guards_lock = threading.Lock()
        self.sleep = sleep
        self.clock = clock
        self.random = random
        # No proxies, .netrc credentials or CA bundles smuggled in through the environment.
        self.trust_env = False
        self.verify = True
        # The transport is shared by every member's requests: a cookie Nexudus sets for one
        # member must never ride along on another member's call.
        self.cookies.set_policy(_NoCookies())
        self.headers.update({"User-Agent": user_agent, "Accept": "application/json"})
        retry = _Retry(
            self,
            total=max_retries,
            connect=max_retries,
            read=max_retries,
            status=max_retries,
            other=0,
            redirect=0,
            raise_on_redirect=False,
            raise_on_status=False,
            allowed_methods=RETRY_METHODS,
            status_forcelist=RETRY_STATUSES,
            backoff_factor=backoff_factor,
            backoff_max=backoff_max,
            respect_retry_after_header=False,
        )
        adapter = _WatchedAdapter(max_retries=retry, pool_maxsize=pool_maxsize)
        self.mount("https://", adapter)
        self.mount("http://", adapter)

    def request(  # type: ignore[override]
        self,
        method: str | bytes,
        url: str | bytes,
        *,
        accept_status: Collection[int] = (),
        max_body_bytes: int | None = None,
        deadline_at: float | None = None,
        on_behalf_of: object | None = None,
        **kwargs: Any,
    ) -> requests.Response:
        """Send one call (with retries) and return a response whose body is already read.

        Statuses other than 2xx raise, except those in `accept_status` (e.g. 400 on /api/token,
        whose body says why). `deadline_at` (on this transport's clock; the budget of the request
        the call serves) can only shorten the call's own deadline: once it has passed, the call
        fails at once. Calls made `on_behalf_of` the same request share one place in the host's
        bulkhead. Timeouts, redirects, streaming and TLS verification are ours to decide, so the
        caller's values for them are ignored.
        """
        method = (method.decode() if isinstance(method, bytes) else method).upper()
        url = url.decode() if isinstance(url, bytes) else url
        for forced in ("timeout", "allow_redirects", "stream", "verify", "proxies"):
            kwargs.pop(forced, None)
        started = self.clock()
        own_end = started + self.deadline
        ends_at = own_end if deadline_at is None else min(own_end, deadline_at)
        call = _Call(
            transport=self,
            method=method,
            path=urlsplit(url).path or "/",
            accept_status=frozenset(accept_status),
            cap=self.max_body_bytes if max_body_bytes is None else max_body_bytes,
            attempts=1 + self.max_retries if method in RETRY_METHODS else 1,
            deadline_at=ends_at,
            allowed=ends_at - started,
            deadline_reason=BUDGET_SPENT if ends_at < own_end else "deadline exceeded",
        )
        outcome = "error"
        level = logging.WARNING
        try:
            if call.remaining() <= 0:
                raise errors.Unavailable(call.deadline_reason)
            guard = self.host_guard(url).attempt(
                call.remaining(), call.counts_against_host, on_behalf_of
            )
            with guard as ticket, call:
                if ticket.probe:
                    # The half-open circuit's one probe asks once: its answer is the verdict,
                    # and retrying it would send a sick host three calls where it allows one.
                    call.attempts = 1
                response = self._send(call, url, kwargs)
                outcome = str(response.status_code)
                self._check_status(call, response)
                self._keep_body(call, response)
            level = logging.DEBUG  # the request's own line sums it up (web.requestlog)
            return response
        except errors.NexudusError as error:
            if error.path is None:
                call.attempt = 0  # refused before it went out
                error.locate(call.method, call.path)
            outcome = error.reason
            # A circuit stays open for many calls; its opening was logged as a warning once.
            if isinstance(error, errors.Unauthorized | errors.NotFound) or (
                error.reason == CIRCUIT_OPEN
            ):
                level = logging.INFO
            raise
        finally:
            milliseconds = (self.clock() - started) * 1000
            record_upstream_call(outcome, milliseconds)
            if logger.isEnabledFor(level):
                logger.log(
                    level,
                    "%s %s -> %s in %d ms (attempt %d/%d)",
                    call.method,
                    call.path,
                    outcome,
                    milliseconds,
                    call.attempt,
                    call.attempts,
                )

    def forget_hosts(self) -> None:
        """Start every host's breaker and bulkhead afresh (tests; nothing else needs it)."""
        with self._guards_lock:
            self._guards.clear()

    def host_guard(self, url: str) -> HostGuard:
        """The breaker and bulkhead of the call's host: one per scheme, host and port."""
        parts = urlsplit(url)
        port = parts.port or (443 if parts.scheme == "https" else 80)
        origin = f"{parts.scheme}://{parts.hostname}:{port}"
        with self._guards_lock:
            guard = self._guards.get(origin)
            if guard is None:
                breaker = CircuitBreaker(
                    origin,
                    failure_threshold=self.failure_threshold,
                    cool_down=self.cool_down,
                    clock=self.clock,
                )
                bulkhead = Bulkhead(self.max_calls_per_host)
                guard = self._guards[origin] = HostGuard(breaker, bulkhead)
            return guard

    def _send(self, call: _Call, url: str, kwargs: dict[str, Any]) -> requests.Response:
        remaining = call.deadline_at - self.clock()
        if remaining <= 0:
            raise errors.Unavailable(call.deadline_reason).locate(call.method, call.path)
        timeout = (min(self.connect_timeout, remaining), min(self.read_timeout, remaining))
        try:
            return super().request(
                call.method,
                url,
                timeout=timeout,
                allow_redirects=False,
                stream=True,
                verify=True,
                proxies={},
                **kwargs,
            )
        except (
            requests.exceptions.MissingSchema,
            requests.exceptions.InvalidSchema,
            requests.exceptions.InvalidURL,
        ):
            raise  # NEXUDUS_BASE_URL is misconfigured: that should fail loudly, not degrade
        except (requests.RequestException, *_BODY_FAILURES) as e:
            failure = call.fail(_classify(call, e), exc=e)
        # Raised outside the except block so the original (whose message quotes the full URL)
        # does not ride along as __context__; errors.cause() keeps a redacted copy.
        raise failure

    def _check_status(self, call: _Call, response: requests.Response) -> None:
        status = response.status_code
        if 200 <= status < 300 or status in call.accept_status:
            return
        response.close()  # error bodies are never read: they may be large, slow or hostile
        reason = str(status)
        if 300 <= status < 400:
            # Following a redirect would carry the bearer token to wherever it points.
            error: errors.NexudusError = errors.BadResponse(reason)
        elif status == 401:
            error = errors.Unauthorized(reason)
        elif status == 404:
            error = errors.NotFound(reason)
        elif status in THROTTLE_STATUSES or status >= 500:
            error = errors.Unavailable(reason)
        else:
            error = errors.BadResponse(reason)
        raise call.fail(error, status=status)

    def _keep_body(self, call: _Call, response: requests.Response) -> None:
        body = call.body
        if body is None:
            # Not read inside the connection (a mocked adapter): read it here, same limits.
            try:
                body = call.read_body(response.raw)
            except _BODY_FAILURES as e:
                response.close()
                failure = call.fail(_classify(call, e), exc=e, status=response.status_code)
            else:
                failure = None
            if failure is not None:
                raise failure
        # requests' .content/.json()/.text now work without touching the socket again.
        response._content = body
        response._content_consumed = True
        response.close()


def _classify(call: _Call, e: BaseException) -> errors.NexudusError:
    """Sort a transport failure into one of the few errors callers tell apart."""
    if isinstance(e, _BodyTooLarge):
        return errors.BadResponse("body too large")
    if isinstance(e, _DeadlineExceeded) or call.watch.fired:
        return errors.Unavailable(call.deadline_reason)
    reason = _urllib3_reason(_innermost(e)) or next(
        (reason for kind, reason in _REQUESTS_REASONS if isinstance(e, kind)), None
    )
    if reason is None and isinstance(e, OSError) and not isinstance(e, requests.RequestException):
        reason = "connection failed"
    if reason is None:
        # e.g. a header value with a newline in it; the message would quote the value.
        return errors.BadResponse("request not sendable")
    if reason == "undecodable body":
        return errors.BadResponse(reason)
    return errors.Unavailable(reason)


def _urllib3_reason(cause: BaseException) -> str | None:
    """What urllib3's own error says happened, or None when it is not one of urllib3's."""
    if isinstance(cause, urllib3.exceptions.SSLError | ssl.SSLError):
        return "TLS failure"
    if isinstance(cause, urllib3.exceptions.DecodeError):
        return "undecodable body"
    if isinstance(cause, urllib3.exceptions.NewConnectionError):
        return "connection failed"  # refused or unreachable (a subclass of the timeout below)
    if isinstance(cause, urllib3.exceptions.ConnectTimeoutError):
        return "connect timeout"
    if isinstance(cause, urllib3.exceptions.ReadTimeoutError):
        return "read timeout"
    if isinstance(cause, urllib3.exceptions.ProtocolError):
        # "Connection broken" is a body cut in the middle; "Connection aborted" came earlier.
        return (
            "connection broken"
            if str(cause).startswith("Connection broken")
            else ("connection failed")
        )
    return None


# When requests' own exception is all there is (a mocked adapter raises it directly).
_REQUESTS_REASONS = (
    (requests.exceptions.SSLError, "TLS failure"),
    (requests.exceptions.ContentDecodingError, "undecodable body"),
    (requests.exceptions.ConnectTimeout, "connect timeout"),
    (requests.exceptions.ReadTimeout, "read timeout"),
    (requests.exceptions.ChunkedEncodingError, "connection broken"),
    (requests.exceptions.ConnectionError, "connection failed"),
)


def _innermost(e: BaseException) -> BaseException:
    """The urllib3 error under requests' wrapper and urllib3's MaxRetryError."""
    cause = e
    for _ in range(3):
        if isinstance(cause, requests.RequestException) and cause.args:
            inner = cause.args[0]
        elif isinstance(cause, urllib3.exceptions.MaxRetryError):
            inner = cause.reason
        else:
            break
        if not isinstance(inner, BaseException):
            break
        cause = inner
    return cause


@dataclass(eq=False)
class _Call:
    """One call in flight: what its attempts share, and its place on the watchdog.

    While a call runs, it is the current call of its thread, so the connection it uses and the
    retry policy urllib3 consults find it without any argument passing through `requests`.
    """

    transport: Transport
    method: str
    path: str
    accept_status: frozenset[int]
    cap: int
    attempts: int
    deadline_at: float
    allowed: float  # seconds from start to deadline_at
    deadline_reason: str  # why the call ends at deadline_at: its own deadline or the budget's
    attempt: int = 1
    body: bytes | None = None
    watch: _Watch = field(default_factory=lambda: _Watch())
    _outer: _Call | None = None

    def __enter__(self) -> Self:
        self._outer = getattr(_current, "call", None)
        _current.call = self
        # The watchdog runs on the real clock: a test's fake clock cannot cut a real socket.
        WATCHDOG.arm(self.watch, time.monotonic() + max(0.0, self.remaining()))
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.watch.cancel()
        _current.call = self._outer

    def remaining(self) -> float:
        return self.deadline_at - self.transport.clock()

    def counts_against_host(self, error: errors.NexudusError) -> bool:
        """Does this failure say the host is unwell? Answers (401, 404, a refused sign-in, a
        bad body) do not; a timeout does only when the call had the time a healthy host needs."""
        if not isinstance(error, errors.Unavailable):
            return False
        if error.reason in _TIMEOUTS:
            transport = self.transport
            return self.allowed >= min(transport.read_timeout, transport.deadline)
        return True

    def wants_body(self, status: int) -> bool:
        return 200 <= status < 300 or status in self.accept_status

    def fail(
        self,
        error: errors.NexudusError,
        *,
        exc: BaseException | None = None,
        status: int | None = None,
    ) -> errors.NexudusError:
        """Say where the error happened, with a redacted stand-in for its cause."""
        error.locate(self.method, self.path, status)
        if exc is not None:
            # Parse-time messages may quote upstream data; only transport messages are kept.
            keep = not isinstance(exc, requests.exceptions.InvalidHeader | ValueError)
            error.__cause__ = errors.cause(exc, keep_message=keep)
            error.__suppress_context__ = True
        return error

    def read_body(self, raw: BaseHTTPResponse) -> bytes:
        declared = (raw.headers.get("Content-Length") or "").strip()
        if declared.isdigit() and int(declared) > self.cap:
            raise _BodyTooLarge
        chunks: list[bytes] = []
        size = 0
        while True:
            # A read timeout is per gap between bytes: a server sending one byte a second never
            # trips it. The deadline is checked between reads; read1() returns whatever has
            # arrived instead of waiting for a full chunk.
            if self.watch.fired or self.remaining() <= 0:
                raise _DeadlineExceeded
            try:
                chunk = raw.read1(min(READ_CHUNK, self.cap + 1 - size), decode_content=True)
            except (urllib3.exceptions.ProtocolError, OSError):
                if self.watch.fired:
                    raise _DeadlineExceeded from None  # our own shutdown, not the server's
                raise
            if not chunk:
                break
            size += len(chunk)
            if size > self.cap:
                raise _BodyTooLarge
            chunks.append(chunk)
        if self.watch.fired:
            raise _DeadlineExceeded  # the EOF was our own shutdown, not the end of the body
        return b"".join(chunks)


_current = threading.local()


def _current_call() -> _Call | None:
    return getattr(_current, "call", None)


class _BodyTooLarge(Exception):
    pass


class _DeadlineExceeded(Exception):
    pass


_BODY_FAILURES = (_BodyTooLarge, _DeadlineExceeded, urllib3.exceptions.HTTPError, OSError)


class _NoCookies(http.cookiejar.CookiePolicy):
    """Nexudus authenticates with bearer tokens; cookies would only leak between members."""

    netscape = True
    rfc2965 = False
    hide_cookie2 = False

    def set_ok(self, cookie: http.cookiejar.Cookie, request: Any) -> bool:
        return False

    def return_ok(self, cookie: http.cookiejar.Cookie, request: Any) -> bool:
        return False

    def domain_return_ok(self, domain: str, request: Any) -> bool:
        return False

    def path_return_ok(self, path: str, request: Any) -> bool:
        return False


# --- Retries ----------------------------------------------------------------------------------


class _Retry(Retry):
    """urllib3's retry policy with the portal's rules on top.

    - Backoff is full jitter (AWS Builders' Library): `random() * min(max, factor * 2**n)`,
      which spreads retries from many workers apart; it sleeps with the transport's sleep.
    - No retry whose backoff would end after the call's deadline: the call gives up instead.
    - Never retried: anything but GET (even a refused connection: the rule stays simple), a
      read timeout (the server took the request and went quiet; asking again only adds load),
      a TLS failure (a certificate we don't trust won't become trustworthy on a second try),
      and anything after the watchdog cut the call.
    """

    def __init__(self, transport: Transport | None = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.transport = transport
        self.planned_sleep = 0.0

    def new(self, **kwargs: Any) -> Self:
        fresh = super().new(**kwargs)
        fresh.transport = self.transport
        return fresh

    def increment(
        self,
        method: str | None = None,
        url: str | None = None,
        response: BaseHTTPResponse | None = None,
        error: Exception | None = None,
        _pool: Any = None,
        _stacktrace: TracebackType | None = None,
    ) -> Self:
        call = _current_call()
        transport = self.transport
        if call is None or transport is None:
            return super().increment(method, url, response, error, _pool, _stacktrace)
        if call.attempts <= 1:
            # One try only (a POST, or the circuit's probe): whatever happened is the answer.
            # (For a status, urllib3 hands the response back: raise_on_status is off.)
            raise urllib3.exceptions.MaxRetryError(_pool, url or "", error) from error
        if error is not None and (
            call.watch.fired
            or isinstance(error, urllib3.exceptions.ReadTimeoutError | urllib3.exceptions.SSLError)
        ):
            raise urllib3.exceptions.MaxRetryError(_pool, url or "", error) from error
        # Raises MaxRetryError once the retries are spent; the transport logs the outcome.
        fresh = super().increment(method, url, response, error, _pool, _stacktrace)
        backoff = transport.random() * min(
            self.backoff_max, self.backoff_factor * 2 ** len(self.history)
        )
        if call.remaining() <= backoff:
            # Sleeping would eat the rest of the budget: give up now with what we have.
            raise urllib3.exceptions.MaxRetryError(_pool, url or "", error)
        outcome = str(response.status) if response is not None else _classify(call, error).reason  # type: ignore[arg-type]
        logger.warning(
            "%s %s -> %s (attempt %d/%d)",
            call.method,
            call.path,
            outcome,
            call.attempt,
            call.attempts,
        )
        fresh.planned_sleep = backoff
        call.attempt += 1
        return fresh

    def sleep(self, response: BaseHTTPResponse | None = None) -> None:
        if self.transport is not None and self.planned_sleep > 0:
            self.transport.sleep(self.planned_sleep)


# --- The deadline watchdog ---------------------------------------------------------------------
#
# Checking the deadline between body reads is not enough: http.client reads the status line and
# headers with readline(), and a server trickling those bytes never trips the read timeout
# either. So every call is armed on one watchdog thread for the whole process; when a call's
# deadline passes, the watchdog shuts down the socket its current attempt is using, the blocked
# read returns at once and the attempt fails. Connections register themselves (thread-locally)
# when they connect or send, and unregister when they go back to the pool, so the watchdog can
# never touch a connection another call is using.


class _Watch:
    """One call as the watchdog sees it: the connection to cut when its time is up."""

    def __init__(self) -> None:
        self.fired = False
        self.cancelled = False
        self._lock = threading.Lock()
        self._conn: HTTPConnection | None = None

    def cancel(self) -> None:
        with self._lock:
            self.cancelled = True
            self._conn = None

    def watch(self, conn: HTTPConnection) -> None:
        with self._lock:
            self._conn = conn
            if self.fired:
                _shutdown(conn)

    def release(self, conn: HTTPConnection) -> None:
        with self._lock:
            if self._conn is conn:
                self._conn = None

    def fire(self) -> None:
        with self._lock:
            if self.cancelled:
                return
            self.fired = True
            if self._conn is not None:
                _shutdown(self._conn)


class _Watchdog:
    """One daemon thread for the process, waking at the earliest deadline of the calls armed."""

    def __init__(self) -> None:
        self._wake = threading.Condition()
        self._heap: list[tuple[float, int, _Watch]] = []
        self._order = itertools.count()
        self._thread: threading.Thread | None = None

    def arm(self, watch: _Watch, at: float) -> None:
        with self._wake:
            heapq.heappush(self._heap, (at, next(self._order), watch))
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(
                    target=self._run, name="nexudus-watchdog", daemon=True
                )
                self._thread.start()
            self._wake.notify()

    def _run(self) -> None:
        while True:
            with self._wake:
                while self._heap and self._heap[0][2].cancelled:
                    heapq.heappop(self._heap)  # finished calls leave lazily
                if not self._heap:
                    self._wake.wait()
                    continue
                at, _, watch = self._heap[0]
                wait = at - time.monotonic()
                if wait > 0:
                    self._wake.wait(wait)
                    continue
                heapq.heappop(self._heap)
            watch.fire()


WATCHDOG = _Watchdog()


def _shutdown(conn: HTTPConnection) -> None:
    sock = getattr(conn, "sock", None)
    if sock is None:
        return  # still connecting: the connect timeout bounds that part
    with suppress(OSError):
        # socket.socket's own shutdown, not SSLSocket's (which would unwrap the TLS layer under
        # the feet of the thread reading from it).
        socket.socket.shutdown(sock, socket.SHUT_RDWR)


def _watch(conn: HTTPConnection) -> _Call | None:
    call = _current_call()
    conn._nexudus_watch = call.watch if call else None  # type: ignore[attr-defined]
    if call is not None:
        call.watch.watch(conn)
    return call


def _unwatch(conn: HTTPConnection) -> None:
    watch = getattr(conn, "_nexudus_watch", None)
    if watch is not None:
        watch.release(conn)
    conn._nexudus_watch = None  # type: ignore[attr-defined]


class _Watched:
    """A connection that reports to its call's watch, and reads a wanted body at once.

    Reading the body inside `getresponse` puts it inside urllib3's retry net: a body cut
    mid-way is retried like any other broken connection (requests itself never preloads).
    """

    timeout: Any

    def connect(self) -> None:
        call = _watch(self)  # type: ignore[arg-type]
        if call is not None and isinstance(self.timeout, int | float):
            # A retry must not connect past the call's deadline.
            remaining = call.remaining()
            if remaining <= 0:
                raise urllib3.exceptions.ConnectTimeoutError(self, "deadline exceeded")
            self.timeout = min(self.timeout, remaining)
        super().connect()  # type: ignore[misc]

    def request(self, *args: Any, **kwargs: Any) -> None:
        _watch(self)  # type: ignore[arg-type]
        super().request(*args, **kwargs)  # type: ignore[misc]

    def getresponse(self) -> BaseHTTPResponse:
        response = super().getresponse()  # type: ignore[misc]
        call = _current_call()
        if call is not None and call.wants_body(response.status):
            call.body = None
            call.body = call.read_body(response)
        return response


class _WatchedHTTPConnection(_Watched, HTTPConnection):
    pass


class _WatchedHTTPSConnection(_Watched, HTTPSConnection):
    pass


class _Unwatching:
    """A pool that releases a connection from its call's watch when it takes it back."""

    def _put_conn(self, conn: Any) -> None:
        if conn is not None:
            _unwatch(conn)
        super()._put_conn(conn)  # type: ignore[misc]


class _WatchedHTTPPool(_Unwatching, HTTPConnectionPool):
    ConnectionCls = _WatchedHTTPConnection


class _WatchedHTTPSPool(_Unwatching, HTTPSConnectionPool):
    ConnectionCls = _WatchedHTTPSConnection


class _WatchedAdapter(HTTPAdapter):
    def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
        super().init_poolmanager(*args, **kwargs)
        self.poolmanager.pool_classes_by_scheme = {
            "http": _WatchedHTTPPool,
            "https": _WatchedHTTPSPool,
        }


# --- Logging ------------------------------------------------------------------------------------
#
# urllib3 logs full request targets at DEBUG ('"GET /…/pdf?t=<jwt> HTTP/1.1" 200') and URLs in
# its retry warnings. Query strings to Nexudus carry media JWTs and gateway session ids, so the
# filter sits on urllib3's own loggers: it runs before any handler, whoever configured logging.


_URLLIB3_LOGGERS = (
    "urllib3.connectionpool",
    "urllib3.connection",
    "urllib3.poolmanager",
    "urllib3.response",
    "urllib3.util.retry",
)


def _install_log_redaction() -> None:
    for name in _URLLIB3_LOGGERS:
        target = logging.getLogger(name)
        if not any(isinstance(f, RedactQueryStrings) for f in target.filters):
            target.addFilter(RedactQueryStrings())


_install_log_redaction()
