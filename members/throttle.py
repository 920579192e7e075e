"""Sign-in throttling that stops guessing, not members (OWASP's "device cookie" scheme).

Django does not throttle sign-in, and every member attempt costs a call to Nexudus. The rules:

- A browser that has signed in to an account carries a signed device cookie bound to that
  account (an HMAC of the normalised e-mail or user name, never the name itself). Its failures
  count per (account, device), so no one else's failures can lock it out.
- Every other browser's failures count per account: ten wrong guesses in 15 minutes refuse
  unknown browsers for the rest of the window, the member's own browser carries on.
- Per client address only failures of unknown browsers count, generously (a coworking space
  sits behind one NAT); past the limit an address is slowed to one attempt every few seconds,
  never locked for an hour.
- Counting is atomic: an attempt reserves its slots (`cache.add` + `cache.incr`) before the
  upstream call and gives them back when it did not fail, so N parallel guesses cost at most
  the limit in upstream calls. A refused attempt makes no upstream call at all.

Counts live in the shared cache in fixed windows, under keyed digests (web.crypto): neither an
e-mail nor an address appears in a cache key.
"""

from __future__ import annotations

import contextlib
import logging
import secrets
import time
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, field
from types import TracebackType
from typing import Any

from django.conf import settings
from django.core import signing
from django.core.cache import cache
from django.http import HttpRequest, HttpResponse

from web.crypto import keyed_digest

logger = logging.getLogger("members.throttle")
clock: Callable[[], float] = time.time


def normalise_account_name(text: str) -> str:
    """One spelling per account: full-width letters, odd spaces and case all fold together.

    NFKC, casefold, NFKC again (casefolding can undo a normal form), then strip: so an attacker
    cannot get ten more guesses by writing the address in full-width letters or capitals.
    """
    folded = unicodedata.normalize("NFKC", unicodedata.normalize("NFKC", text).casefold())
    return folded.strip()


@dataclass(frozen=True, slots=True)
class Account:
    """The account a sign-in attempt is for, as the throttle and the device cookie know it."""

    name: str = field(repr=False)  # normalised, and never shown in a repr or a log line

    @classmethod
    def member(cls, email: str) -> Account:
        return cls(f"member:{normalise_account_name(email)}")

    @classmethod
    def staff(cls, username: str) -> Account:
        return cls(f"staff:{normalise_account_name(username)}")

    @property
    def throttle_id(self) -> str:
        return keyed_digest("sign-in-account", self.name)

    @property
    def device_mark(self) -> str:
        # A digest of its own: the cookie tells nothing about the throttle's keys. 128 bits.
        return keyed_digest("sign-in-device-account", self.name)[:32]

    @property
    def log_id(self) -> str:
        """Lets an operator tell attempts on one account apart in the log, naming no one."""
        return keyed_digest("sign-in-log", self.name)[:12]


# --- Counting ---------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Slot:
    """One unit reserved in a counter: kept if the attempt failed, else given back."""

    key: str

    def release(self) -> None:
        # The window may have ended meanwhile: then there is nothing left to give back.
        with contextlib.suppress(ValueError):
            cache.decr(self.key)


@dataclass(frozen=True, slots=True)
class Limit:
    name: str
    max_count: int
    window_seconds: int

    def _key(self, subject: str) -> str:
        window = int(clock() // self.window_seconds)
        return f"throttle:{self.name}:{window}:{keyed_digest(f'throttle:{self.name}', subject)}"

    def reserve(self, subject: str) -> Slot | None:
        """A slot for one attempt by `subject`, or None when the window is used up.

        Increment first, look after: two requests can never both take the last slot.
        """
        key = self._key(subject)
        timeout = self.window_seconds + 5
        cache.add(key, 0, timeout=timeout)
        try:
            count = cache.incr(key)
        except ValueError:  # expired between the two calls: a new window
            cache.add(key, 0, timeout=timeout)
            count = cache.incr(key)
        if count == 1:
            # Redis INCR on a key that just expired makes one without a lifetime: give it one.
            cache.touch(key, timeout)
        if count > self.max_count:
            Slot(key).release()
            return None
        return Slot(key)

    def retry_after(self) -> int:
        """Seconds until this limit's window ends."""
        return self.window_seconds - int(clock() % self.window_seconds) or 1


# 10 per account per 15 minutes is at most 40 an hour, under ASVS's 100 per account per hour.
PER_ACCOUNT = Limit("account", max_count=10, window_seconds=15 * 60)
PER_DEVICE = Limit("device", max_count=10, window_seconds=15 * 60)
# A NAT full of members mistyping never gets near this; a password sprayer does.
PER_ADDRESS = Limit("address", max_count=300, window_seconds=60 * 60)
# Past PER_ADDRESS, one attempt per address every this many seconds.
SLOW_SECONDS = 10


class Throttled(Exception):
    def __init__(self, retry_after: int) -> None:
        super().__init__(retry_after)
        self.retry_after = retry_after


class Attempt:
    """The slots one sign-in attempt holds. Used as `with attempt:`; slots are given back on
    the way out unless `failed()` said the credentials were wrong, so only wrong guesses
    count (an outage, a correct password or a crash costs nothing)."""

    def __init__(self, slots: list[Slot]) -> None:
        self._slots = slots
        self._failed = False

    def failed(self) -> None:
        self._failed = True

    def __enter__(self) -> Attempt:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        if not self._failed:
            for slot in self._slots:
                slot.release()


def reserve(request: HttpRequest, account: Account) -> Attempt:
    """Slots for one attempt on `account` from this request's browser; Throttled if none."""
    device = read_device(request)
    if device is not None and device.knows(account):
        slot = PER_DEVICE.reserve(f"{account.throttle_id}:{device.nonce}")
        if slot is None:
            logger.warning("sign-in throttled: known device, account %s", account.log_id)
            raise Throttled(PER_DEVICE.retry_after())
        return Attempt([slot])
    account_slot = PER_ACCOUNT.reserve(account.throttle_id)
    if account_slot is None:
        logger.warning("sign-in throttled: unknown device, account %s", account.log_id)
        raise Throttled(PER_ACCOUNT.retry_after())
    address = client_address(request)
    address_slot = PER_ADDRESS.reserve(address)
    if address_slot is None and not _slow_lane_free(address):
        account_slot.release()
        logger.warning("sign-in throttled: client address over its limit")
        raise Throttled(SLOW_SECONDS)
    return Attempt([slot for slot in (account_slot, address_slot) if slot is not None])


def _slow_lane_free(address: str) -> bool:
    key = f"throttle:slow:{keyed_digest('throttle:slow', address)}"
    return bool(cache.add(key, 1, timeout=SLOW_SECONDS))


def client_address(request: HttpRequest) -> str:
    # X-Forwarded-For is whatever the client chose to send, except for the last entry, which our
    # own proxy appended; without a proxy only the socket's peer address can be trusted.
    if settings.BEHIND_PROXY:
        forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
        last = forwarded.rsplit(",", 1)[-1].strip()
        if last:
            return last
    return str(request.META.get("REMOTE_ADDR", ""))


# --- The device cookie ------------------------------------------------------------------------

_DEVICE_SALT = "members.throttle.device"
# A shared desk computer may be known to a few accounts; the cookie stays small.
MAX_ACCOUNTS_PER_DEVICE = 5


@dataclass(frozen=True, slots=True)
class Device:
    """A browser that has signed in before: its random id and the accounts it signed in to."""

    nonce: str
    accounts: tuple[str, ...]

    def knows(self, account: Account) -> bool:
        return account.device_mark in self.accounts


def read_device(request: HttpRequest) -> Device | None:
    raw = request.COOKIES.get(settings.SIGN_IN_DEVICE_COOKIE_NAME)
    if not raw:
        return None
    try:
        data: Any = signing.loads(
            raw, salt=_DEVICE_SALT, max_age=settings.SIGN_IN_DEVICE_COOKIE_AGE
        )
    except signing.BadSignature:
        return None
    nonce, accounts = (data.get("n"), data.get("a")) if isinstance(data, dict) else (None, None)
    if not isinstance(nonce, str) or not isinstance(accounts, list):
        return None
    return Device(nonce, tuple(mark for mark in accounts if isinstance(mark, str)))


def remember_device(request: HttpRequest, response: HttpResponse, account: Account) -> None:
    """After a successful sign-in: this browser is now known to `account`."""
    device = read_device(request)
    nonce = device.nonce if device else secrets.token_urlsafe(16)
    others = [mark for mark in (device.accounts if device else ()) if mark != account.device_mark]
    accounts = [account.device_mark, *others][:MAX_ACCOUNTS_PER_DEVICE]
    value = signing.dumps({"n": nonce, "a": accounts}, salt=_DEVICE_SALT)
    response.set_cookie(
        settings.SIGN_IN_DEVICE_COOKIE_NAME,
        value,
        max_age=settings.SIGN_IN_DEVICE_COOKIE_AGE,
        path="/",
        secure=settings.SESSION_COOKIE_SECURE,
        httponly=True,
        samesite="Lax",
    )
