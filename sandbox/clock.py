"""A clock seam for the sandbox.

Every expiry check in the sandbox (access and refresh tokens, media JWTs) asks a `Clock`, never
`datetime.now()` or `time.time()` directly, so a test can jump forward with
`app.clock.advance(61)` instead of sleeping.
"""

from __future__ import annotations

import threading
import time
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError


class Clock:
    """Real time plus an adjustable offset (thread-safe).

    The offset design keeps time flowing between calls, which matters for a server that other
    processes (browsers, benchmarks) talk to; tests only ever move it forward or pin it.
    """

    def __init__(self, offset: float = 0.0) -> None:
        self._offset = float(offset)
        self._lock = threading.Lock()

    @property
    def offset(self) -> float:
        """Seconds this clock runs ahead of real time (negative: behind)."""
        with self._lock:
            return self._offset

    def now(self) -> datetime:
        """The current instant as an aware UTC datetime."""
        return datetime.fromtimestamp(self.timestamp(), tz=UTC)

    def timestamp(self) -> float:
        """The current instant as POSIX seconds (what a JWT `exp` is compared with)."""
        return time.time() + self.offset

    def monotonic(self) -> float:
        """Monotonic seconds, shifted by the same offset, for measuring durations."""
        return time.monotonic() + self.offset

    def advance(self, seconds: float) -> None:
        """Move the clock forward (or back, with a negative number)."""
        with self._lock:
            self._offset += float(seconds)

    def set(self, when: datetime) -> None:
        """Make `now()` return `when` at this moment (naive datetimes are taken as UTC)."""
        if when.tzinfo is None:
            when = when.replace(tzinfo=UTC)
        with self._lock:
            self._offset = (when - datetime.now(tz=UTC)) / timedelta(seconds=1)


def local_today(clock: Clock, time_zone: str = "Europe/London") -> date:
    """The clock's date in the demo locations' time zone (UTC if tzdata is missing)."""
    return local_now(clock, time_zone).date()


def local_now(clock: Clock, time_zone: str) -> datetime:
    """The clock's wall-clock time in `time_zone`, naive and to the second, the way invoice
    dates are kept (UTC if tzdata is missing)."""
    try:
        now = clock.now().astimezone(ZoneInfo(time_zone))
    except ZoneInfoNotFoundError:
        now = clock.now()
    return now.replace(tzinfo=None, microsecond=0)
