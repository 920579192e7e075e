"""Sign-in throttling: a failure counter per e-mail address and per client address.

Django does not throttle sign-in attempts, and every attempt costs a call to Nexudus. Counting
failures (not attempts) in fixed windows in the shared cache gives a soft lockout: an attacker
can slow a member down for at most one window, never lock them out for good.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest

clock: Callable[[], float] = time.time


@dataclass(frozen=True, slots=True)
class Limit:
    name: str
    max_count: int
    window_seconds: int

    def _key(self, subject: str) -> str:
        # Hashed: e-mail addresses and IPs do not belong in cache keys in the clear.
        digest = hashlib.sha256(subject.strip().lower().encode()).hexdigest()[:32]
        window = int(clock() // self.window_seconds)
        return f"throttle:{self.name}:{window}:{digest}"

    def retry_after(self, subject: str) -> int | None:
        """Seconds until `subject` may try again, or None when it may try now."""
        if cache.get(self._key(subject), 0) < self.max_count:
            return None
        return self.window_seconds - int(clock() % self.window_seconds) or 1

    def record(self, subject: str) -> None:
        key = self._key(subject)
        if not cache.add(key, 1, timeout=self.window_seconds + 5):
            try:
                cache.incr(key)
            except ValueError:
                cache.set(key, 1, timeout=self.window_seconds + 5)


# 10 per address per 15 minutes is at most 40 an hour, well under ASVS's 100 per account per hour.
PER_EMAIL = Limit("email", max_count=10, window_seconds=15 * 60)
PER_CLIENT = Limit("client", max_count=50, window_seconds=60 * 60)


def client_address(request: HttpRequest) -> str:
    # X-Forwarded-For is whatever the client chose to send, except for the last entry, which our
    # own proxy appended; without a proxy only the socket's peer address can be trusted.
    if settings.BEHIND_PROXY:
        forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
        last = forwarded.rsplit(",", 1)[-1].strip()
        if last:
            return last
    return str(request.META.get("REMOTE_ADDR", ""))


def sign_in_retry_after(email: str, address: str) -> int | None:
    waits = [w for w in (PER_EMAIL.retry_after(email), PER_CLIENT.retry_after(address)) if w]
    return max(waits) if waits else None


def record_sign_in_failure(email: str, address: str) -> None:
    PER_EMAIL.record(email)
    PER_CLIENT.record(address)
