"""What stands between the portal's threads and a Nexudus host that fails or hangs.

Timeouts bound one call; these bound the harm a sick host does to the whole process:

- `CircuitBreaker`: after `failure_threshold` failures in a row (timeouts, refused or broken
  connections, 5xx, throttling), calls fail at once for `cool_down` seconds instead of each
  waiting out its timeout; then one probe goes through, and its outcome closes the circuit or
  opens it again. Nexudus saying no (401, 404, 400, a refused sign-in) or answering something
  odd is an answer, not a failure of the host.
- `Bulkhead`: at most `limit` requests waiting on the host at once, so a hung host can hold at
  most that many of the worker's threads, and the others (and /healthz) stay free.

Both live in the process (the transport keeps one `HostGuard` per host): with several workers,
each learns on its own, which costs each worker `failure_threshold` slow calls to find out.
"""

from __future__ import annotations

import logging
import math
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from enum import Enum

from nexudus import errors

logger = logging.getLogger("nexudus")

# Reasons of the calls refused here, which never reach the network.
CIRCUIT_OPEN = "circuit open"
TOO_MANY_WAITING = "too many calls waiting"


class State(Enum):
    CLOSED = "closed"
    OPEN = "open"
    HALF_OPEN = "half-open"


@dataclass(frozen=True, slots=True)
class Ticket:
    """A call the breaker let through; the probe's outcome decides the circuit's state."""

    probe: bool


_CALL = Ticket(probe=False)
_PROBE = Ticket(probe=True)


class CircuitBreaker:
    """Closed, open after `failure_threshold` failures in a row, half-open after `cool_down`.

    Failures in a row rather than a failure rate: a portal's traffic is light and bursty, so a
    rate over a short window rests on a handful of calls; five consecutive failures almost never
    happen by chance to a healthy host (at 5 % errors, about 3 in 10 million), and they happen
    within seconds to a dead one.
    """

    def __init__(
        self,
        name: str,
        *,
        failure_threshold: int = 5,
        cool_down: float = 15.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.name = name
        self.failure_threshold = failure_threshold
        self.cool_down = cool_down
        self.clock = clock
        self._lock = threading.Lock()
        self._state = State.CLOSED
        self._failures = 0
        self._opened_at = 0.0
        self._probing = False

    @property
    def state(self) -> State:
        with self._lock:
            return self._state

    def admit(self) -> Ticket | None:
        """A ticket for a call that may go ahead, or None: fail it without calling."""
        with self._lock:
            if self._state is State.CLOSED:
                return _CALL
            if self._state is State.OPEN:
                if self.clock() - self._opened_at < self.cool_down:
                    return None
                self._state = State.HALF_OPEN
            if self._probing:
                return None  # one probe at a time: the others fail fast until it is back
            self._probing = True
            return _PROBE

    def settle(self, ticket: Ticket, healthy: bool | None) -> None:
        """What the call found: the host answered (True), failed (False), or no verdict (None:
        the call never went out, or broke on our side)."""
        with self._lock:
            if ticket.probe:
                self._probing = False
                if healthy is True:
                    self._close()
                elif healthy is False:
                    self._open("the probe failed")
                return
            # Calls let through before the circuit opened come back late: only the probe decides.
            if self._state is not State.CLOSED or healthy is None:
                return
            if healthy:
                self._failures = 0
                return
            self._failures += 1
            if self._failures >= self.failure_threshold:
                self._open(f"{self._failures} failures in a row")

    def _open(self, why: str) -> None:
        self._state = State.OPEN
        self._opened_at = self.clock()
        self._failures = 0
        logger.warning(
            "circuit to %s open (%s): calls fail fast for %g s", self.name, why, self.cool_down
        )

    def _close(self) -> None:
        self._state = State.CLOSED
        self._failures = 0
        logger.info("circuit to %s closed: the probe got an answer", self.name)


class Bulkhead:
    """At most `limit` requests waiting on the host at once: a place per request, which its
    side-by-side calls share (`holder`: the request; None, a call on its own). Each place is one
    of the worker's threads that a hung host can hold.

    A call finding every place taken waits for one only while the host is moving: it gives up
    once no call has come back (or gone in) for the host's `patience`, twice as long as its
    answered calls lately held a place, within [least_patience, most_patience]. A busy host
    that answers gets a queue; a hung one frees nothing, so its queue empties within a moment,
    since every thread waiting here is one that other pages and /healthz cannot use.

    Waits are real waits on real time, so this has no clock seam.
    """

    def __init__(
        self, limit: int, *, least_patience: float = 0.1, most_patience: float = 0.5
    ) -> None:
        if limit < 1:
            raise ValueError("a bulkhead needs at least one place")
        self.limit = limit
        self.least_patience = least_patience
        self.most_patience = most_patience
        self._places = threading.Condition()
        self._in_use = 0
        self._calls_of: dict[object, int] = {}  # holder -> its calls in flight
        self._last_move = -math.inf
        self._typical = 0.0  # how long answered calls held a place lately (moving average)

    @property
    def in_use(self) -> int:
        with self._places:
            return self._in_use

    @property
    def patience(self) -> float:
        return min(self.most_patience, max(self.least_patience, 2 * self._typical))

    def enter(self, within: float, holder: object | None = None) -> bool:
        """Take a place (or join the holder's), waiting at most `within` seconds; False if none
        could be had."""
        with self._places:
            if holder in self._calls_of:
                self._calls_of[holder] += 1  # its request already waits on the host
                return True
            ends = time.monotonic() + within
            while self._in_use >= self.limit:
                now = time.monotonic()
                wake = min(ends, self._last_move + self.patience)
                if now >= wake:
                    return False
                self._places.wait(wake - now)
            self._in_use += 1
            if holder is not None:
                self._calls_of[holder] = 1
            self._last_move = time.monotonic()
            return True

    def leave(self, answered_in: float | None = None, holder: object | None = None) -> None:
        """Give the call's share of its place back; `answered_in`: how long an answered call
        took (failures and refusals say nothing about how long a healthy call takes)."""
        with self._places:
            if answered_in is not None:
                self._typical += _SMOOTHING * (answered_in - self._typical)
            if holder in self._calls_of:
                self._calls_of[holder] -= 1
                if self._calls_of[holder]:
                    return
                del self._calls_of[holder]
            self._in_use -= 1
            self._last_move = time.monotonic()
            self._places.notify()


# Weight of the newest answered call in the moving average of how long calls take.
_SMOOTHING = 0.2


class HostGuard:
    """The breaker and the bulkhead of one host (scheme, host and port), as calls use them."""

    def __init__(self, breaker: CircuitBreaker, bulkhead: Bulkhead) -> None:
        self.breaker = breaker
        self.bulkhead = bulkhead

    @contextmanager
    def attempt(
        self,
        within: float,
        is_failure: Callable[[errors.NexudusError], bool],
        holder: object | None = None,
    ) -> Iterator[Ticket]:
        """Run one call under both guards; raises Unavailable, without calling, when either
        refuses. `within`: the longest the call may wait for a place; `is_failure`: whether an
        error the call raised counts against the host; `holder`: the request it serves. Yields
        the breaker's ticket: a probe is one try, never retried."""
        ticket = self.breaker.admit()
        if ticket is None:
            raise errors.Unavailable(CIRCUIT_OPEN)
        if not self.bulkhead.enter(within, holder):
            self.breaker.settle(ticket, None)
            raise errors.Unavailable(TOO_MANY_WAITING)
        healthy: bool | None = None
        entered = time.monotonic()
        try:
            yield ticket
            healthy = True
        except errors.NexudusError as error:
            healthy = not is_failure(error)
            raise
        finally:
            self.bulkhead.leave(time.monotonic() - entered if healthy else None, holder)
            self.breaker.settle(ticket, healthy)
