"""The one HTTP session every Nexudus call goes through.

It decides, for every call: how long we wait (connect, read, and a total deadline), what we retry
(idempotent GETs on connection errors and 502/503/504, with capped full-jitter backoff), what we
refuse (redirects, cookies, proxies from the environment, bodies over a size cap) and what we
write down (method, path, status, time: never a query string, a header or a body).

Failures leave as the exceptions in `errors`; callers never see a `requests` exception.
"""

from __future__ import annotations

import http.cookiejar
import logging
import random as _random
import socket
import threading
import time
from collections.abc import Callable, Collection
from contextlib import suppress
from typing import Any
from urllib.parse import urlsplit

import requests
import urllib3.exceptions
from requests.adapters import HTTPAdapter
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool

from portal.nexudus import errors

VERSION = "0.1.0"
USER_AGENT = f"nexudus-member-portal/{VERSION} (+python-requests)"

logger = logging.getLogger("portal.nexudus")

MiB = 1024 * 1024
# Only GET is safe to send twice: a repeated POST /api/token would burn a refresh token or
# log in twice, a repeated registerByToken could create two customers.
RETRY_METHODS = frozenset({"GET"})
RETRY_STATUSES = frozenset({502, 503, 504})
# Nexudus throttles with 409 (legacy) or 429. Waiting out Retry-After (up to an hour) would
# hold a worker thread hostage; the caller shows a "try again" message instead.
THROTTLE_STATUSES = frozenset({409, 429})
# read1() returns what has arrived, up to this much; the deadline is checked between reads.
READ_CHUNK = 64 * 1024


class NexudusSession(requests.Session):
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
        self._sleep = sleep
        self._clock = clock
        self._random = random
        # No proxies, .netrc credentials or CA bundles smuggled in through the environment.
        self.trust_env = False
        self.verify = True
        # The session is shared by every member's requests: a cookie Nexudus sets for one
        # member must never ride along on another member's call.
        self.cookies.set_policy(_NoCookies())
        self.headers.update({"User-Agent": user_agent, "Accept": "application/json"})
        adapter = _WatchedAdapter(max_retries=0, pool_maxsize=pool_maxsize)
        self.mount("https://", adapter)
        self.mount("http://", adapter)

    def request(  # type: ignore[override]
        self,
        method: str | bytes,
        url: str | bytes,
        *,
        accept_status: Collection[int] = (),
        max_body_bytes: int | None = None,
        **kwargs: Any,
    ) -> requests.Response:
        """Send one call (with retries) and return a response whose body is already read.

        Statuses other than 2xx raise, except those in `accept_status` (e.g. 400 on /api/token,
        whose body says why). Timeouts, redirects, streaming and TLS verification are ours to
        decide, so the caller's values for them are ignored.
        """
        method = method.decode() if isinstance(method, bytes) else method
        url = url.decode() if isinstance(url, bytes) else url
        method = method.upper()
        for forced in ("timeout", "allow_redirects", "stream", "verify", "proxies"):
            kwargs.pop(forced, None)
        call = _Call(
            method=method,
            url=url,
            path=urlsplit(url).path or "/",
            kwargs=kwargs,
            accept_status=frozenset(accept_status),
            cap=self.max_body_bytes if max_body_bytes is None else max_body_bytes,
            attempts=1 + self.max_retries if method in RETRY_METHODS else 1,
            deadline_at=self._clock() + self.deadline,
        )
        watchdog = _Watchdog(self.deadline)
        outer = getattr(_current, "watchdog", None)
        _current.watchdog = watchdog
        watchdog.start()
        try:
            return self._call(call, watchdog)
        finally:
            watchdog.cancel()
            _current.watchdog = outer

    def _call(self, call: _Call, watchdog: _Watchdog) -> requests.Response:
        failure: errors.NexudusError | None = None
        for attempt in range(1, call.attempts + 1):
            if attempt > 1:
                delay = self._backoff(attempt - 2)
                if self._clock() + delay >= call.deadline_at:
                    break  # sleeping would eat the rest of the budget: give up now
                self._sleep(delay)
            remaining = call.deadline_at - self._clock()
            if remaining <= 0:
                break
            try:
                return self._attempt(call, attempt, remaining, watchdog)
            except _Retry as retry:
                failure = retry.error
        if failure is None:
            failure = errors.Unavailable("deadline exceeded", method=call.method, path=call.path)
        raise failure

    def _backoff(self, retry: int) -> float:
        # Full jitter (AWS Builders' Library): spreads retries from many workers apart.
        return self._random() * min(self.backoff_max, self.backoff_factor * 2**retry)

    def _attempt(
        self, call: _Call, attempt: int, remaining: float, watchdog: _Watchdog
    ) -> requests.Response:
        started = self._clock()
        outcome = "error"
        level = logging.WARNING
        try:
            response = self._send(call, attempt, remaining, watchdog)
            outcome = str(response.status_code)
            self._check_status(call, attempt, response)
            self._load_body(call, attempt, response, watchdog)
            level = logging.INFO
            return response
        except _Retry as retry:
            outcome = retry.error.reason
            raise
        except errors.NexudusError as error:
            outcome = error.reason
            if isinstance(error, errors.Unauthorized | errors.NotFound):
                level = logging.INFO
            raise
        finally:
            elapsed_ms = (self._clock() - started) * 1000
            logger.log(
                level,
                "%s %s -> %s in %d ms (attempt %d/%d)",
                call.method,
                call.path,
                outcome,
                elapsed_ms,
                attempt,
                call.attempts,
            )

    def _fail(
        self,
        call: _Call,
        attempt: int,
        error: errors.NexudusError,
        *,
        retry: bool = False,
        exc: BaseException | None = None,
        keep_message: bool = True,
        status: int | None = None,
    ) -> Exception:
        """Fill in where the error happened; wrap it in _Retry if another attempt may help."""
        error.locate(call.method, call.path, status)
        if exc is not None:
            error.__cause__ = errors.cause(exc, keep_message=keep_message)
            error.__suppress_context__ = True
        if retry and attempt < call.attempts:
            return _Retry(error)
        return error

    def _send(
        self, call: _Call, attempt: int, remaining: float, watchdog: _Watchdog
    ) -> requests.Response:
        timeout = (min(self.connect_timeout, remaining), min(self.read_timeout, remaining))
        try:
            return super().request(
                call.method,
                call.url,
                timeout=timeout,
                allow_redirects=False,
                stream=True,
                verify=True,
                proxies={},
                **call.kwargs,
            )
        except (
            requests.exceptions.MissingSchema,
            requests.exceptions.InvalidSchema,
            requests.exceptions.InvalidURL,
        ):
            raise  # NEXUDUS_BASE_URL is misconfigured: that should fail loudly, not degrade
        except requests.RequestException as e:
            failure = self._transport_failure(call, attempt, e, watchdog)
        # Raised outside the except block so the original (whose message quotes the full URL)
        # does not ride along as __context__; errors.cause() keeps a redacted copy.
        raise failure

    def _transport_failure(
        self, call: _Call, attempt: int, e: requests.RequestException, watchdog: _Watchdog
    ) -> Exception:
        if watchdog.fired:
            return self._fail(call, attempt, errors.Unavailable("deadline exceeded"), exc=e)
        if isinstance(e, requests.exceptions.SSLError):
            # A certificate we don't trust won't become trustworthy on a second try.
            return self._fail(call, attempt, errors.Unavailable("TLS failure"), exc=e)
        if isinstance(e, requests.exceptions.ConnectTimeout):
            return self._fail(
                call, attempt, errors.Unavailable("connect timeout"), retry=True, exc=e
            )
        if isinstance(e, requests.exceptions.Timeout):
            # The server took the request and went quiet; asking again only adds load.
            return self._fail(call, attempt, errors.Unavailable("read timeout"), exc=e)
        if isinstance(e, requests.exceptions.ConnectionError):
            return self._fail(
                call, attempt, errors.Unavailable("connection failed"), retry=True, exc=e
            )
        # e.g. a header value with a newline in it; the message would quote the value.
        return self._fail(
            call, attempt, errors.BadResponse("request not sendable"), exc=e, keep_message=False
        )

    def _check_status(self, call: _Call, attempt: int, response: requests.Response) -> None:
        status = response.status_code
        if 200 <= status < 300 or status in call.accept_status:
            return
        response.close()  # error bodies are never read: they may be large, slow or hostile
        reason = str(status)
        retry = False
        if 300 <= status < 400:
            # Following a redirect would carry the bearer token to wherever it points.
            error: errors.NexudusError = errors.BadResponse(reason)
        elif status == 401:
            error = errors.Unauthorized(reason)
        elif status == 404:
            error = errors.NotFound(reason)
        elif status in THROTTLE_STATUSES or status >= 500:
            error = errors.Unavailable(reason)
            retry = status in RETRY_STATUSES
        else:
            error = errors.BadResponse(reason)
        raise self._fail(call, attempt, error, retry=retry, status=status)

    def _load_body(
        self, call: _Call, attempt: int, response: requests.Response, watchdog: _Watchdog
    ) -> None:
        status = response.status_code
        try:
            body = self._read_body(response, call, watchdog)
        except _BodyTooLarge:
            response.close()
            failure = self._fail(call, attempt, errors.BadResponse("body too large"), status=status)
        except _DeadlineExceeded:
            response.close()
            failure = self._fail(
                call, attempt, errors.Unavailable("deadline exceeded"), status=status
            )
        except (urllib3.exceptions.HTTPError, OSError) as e:
            response.close()
            failure = self._body_failure(call, attempt, e, watchdog, status)
        else:
            # requests' .content/.json()/.text now work without touching the socket again.
            response._content = body
            response._content_consumed = True
            response.close()
            return
        raise failure

    def _body_failure(
        self,
        call: _Call,
        attempt: int,
        e: BaseException,
        watchdog: _Watchdog,
        status: int,
    ) -> Exception:
        if watchdog.fired:
            error: errors.NexudusError = errors.Unavailable("deadline exceeded")
        elif isinstance(e, urllib3.exceptions.ReadTimeoutError):
            error = errors.Unavailable("read timeout")
        elif isinstance(e, urllib3.exceptions.DecodeError):
            error = errors.BadResponse("undecodable body")
        else:
            # Reset or cut mid-body: for a GET, a fresh connection is worth one more try.
            error = errors.Unavailable("connection broken")
            return self._fail(call, attempt, error, retry=True, exc=e, status=status)
        return self._fail(call, attempt, error, exc=e, status=status)

    def _read_body(self, response: requests.Response, call: _Call, watchdog: _Watchdog) -> bytes:
        declared = response.headers.get("Content-Length", "").strip()
        if declared.isdigit() and int(declared) > call.cap:
            raise _BodyTooLarge
        chunks: list[bytes] = []
        size = 0
        while True:
            # requests' read timeout is per gap between bytes: a server sending one byte a
            # second never trips it. The deadline is checked between reads; read1() returns
            # whatever has arrived instead of waiting for a full chunk.
            if watchdog.fired or self._clock() >= call.deadline_at:
                raise _DeadlineExceeded
            chunk = response.raw.read1(min(READ_CHUNK, call.cap + 1 - size), decode_content=True)
            if not chunk:
                break
            size += len(chunk)
            if size > call.cap:
                raise _BodyTooLarge
            chunks.append(chunk)
        if watchdog.fired:
            raise _DeadlineExceeded  # the EOF was our own shutdown, not the end of the body
        return b"".join(chunks)


class _Call:
    """Everything one call's attempts share."""

    __slots__ = (
        "accept_status",
        "attempts",
        "cap",
        "deadline_at",
        "kwargs",
        "method",
        "path",
        "url",
    )

    def __init__(
        self,
        *,
        method: str,
        url: str,
        path: str,
        kwargs: dict[str, Any],
        accept_status: frozenset[int],
        cap: int,
        attempts: int,
        deadline_at: float,
    ) -> None:
        self.method = method
        self.url = url
        self.path = path
        self.kwargs = kwargs
        self.accept_status = accept_status
        self.cap = cap
        self.attempts = attempts
        self.deadline_at = deadline_at


class _Retry(Exception):
    """An attempt failed in a way another attempt might not."""

    def __init__(self, error: errors.NexudusError) -> None:
        super().__init__(error.reason)
        self.error = error


class _BodyTooLarge(Exception):
    pass


class _DeadlineExceeded(Exception):
    pass


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


# --- The deadline watchdog ---------------------------------------------------------------------
#
# Checking the deadline between body reads is not enough: http.client reads the status line and
# headers with readline(), and a server trickling those bytes never trips the read timeout
# either. So each call also arms a timer that, when the deadline passes, shuts down the socket
# its current attempt is using; the blocked read then returns at once and the attempt fails.
# Connections register themselves (thread-locally) when they send a request and unregister when
# they go back to the pool, so the timer can never touch a connection another call is using.

_current = threading.local()


class _Watchdog:
    def __init__(self, seconds: float) -> None:
        self.fired = False
        self._lock = threading.Lock()
        self._conn: HTTPConnection | None = None
        self._timer = threading.Timer(max(seconds, 0.0), self._fire)
        self._timer.daemon = True

    def start(self) -> None:
        self._timer.start()

    def cancel(self) -> None:
        self._timer.cancel()
        with self._lock:
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

    def _fire(self) -> None:
        with self._lock:
            self.fired = True
            if self._conn is not None:
                _shutdown(self._conn)


def _shutdown(conn: HTTPConnection) -> None:
    sock = getattr(conn, "sock", None)
    if sock is None:
        return  # still connecting: the connect timeout bounds that part
    with suppress(OSError):
        # socket.socket's own shutdown, not SSLSocket's (which would unwrap the TLS layer under
        # the feet of the thread reading from it).
        socket.socket.shutdown(sock, socket.SHUT_RDWR)


def _watch(conn: HTTPConnection) -> None:
    watchdog = getattr(_current, "watchdog", None)
    conn._nexudus_watchdog = watchdog  # type: ignore[attr-defined]
    if watchdog is not None:
        watchdog.watch(conn)


def _unwatch(conn: HTTPConnection) -> None:
    watchdog = getattr(conn, "_nexudus_watchdog", None)
    if watchdog is not None:
        watchdog.release(conn)
    conn._nexudus_watchdog = None  # type: ignore[attr-defined]


class _Watched:
    """Registers the connection with the call's deadline timer before it talks to the server."""

    def connect(self) -> None:
        _watch(self)
        super().connect()  # type: ignore[misc]

    def request(self, *args: Any, **kwargs: Any) -> None:
        _watch(self)
        super().request(*args, **kwargs)  # type: ignore[misc]


class _WatchedHTTPConnection(_Watched, HTTPConnection):
    pass


class _WatchedHTTPSConnection(_Watched, HTTPSConnection):
    pass


class _WatchedHTTPPool(HTTPConnectionPool):
    ConnectionCls = _WatchedHTTPConnection

    def _put_conn(self, conn: Any) -> None:
        if conn is not None:
            _unwatch(conn)
        super()._put_conn(conn)


class _WatchedHTTPSPool(HTTPSConnectionPool):
    ConnectionCls = _WatchedHTTPSConnection

    def _put_conn(self, conn: Any) -> None:
        if conn is not None:
            _unwatch(conn)
        super()._put_conn(conn)


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


class _RedactQueryStrings(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        redacted = errors.redact(message)
        if redacted != message:
            record.msg = redacted
            record.args = None
        return True


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
        if not any(isinstance(f, _RedactQueryStrings) for f in target.filters):
            target.addFilter(_RedactQueryStrings())


_install_log_redaction()
