"""Copies of a member's data, kept server-side: fresh while webhooks vouch for them, stale for
when Nexudus fails.

Two uses, one store:

- **Fresh** (only with `NEXUDUS_WEBHOOK_SECRET` set): a copy answers instead of Nexudus until a
  signed webhook says one of the member's invoices changed (`touch`), or `FRESH_SECONDS` pass.
  Each member has a generation in the cache; a webhook replaces it, and a copy taken under an
  older generation is no longer fresh. Without the secret nothing is ever fresh: no webhook
  would tell us a copy went out of date.
- **Stale** (always): the last good copy, at most `STALE_SECONDS` old, shown with its time when
  Nexudus is down or slow (RFC 5861's stale-if-error, for pages).

Copies hold invoices, so they are sealed (web.crypto: AES-GCM under a key derived from
SECRET_KEY) and stored under keyed digests: a reader of Redis learns neither whose data it is
nor what it says. Values are pickled records; unpickling is safe only because `unseal` first
proves that this portal wrote them. Media tokens, tokens and passwords are never kept here.
"""

from __future__ import annotations

import hashlib
import pickle
import secrets
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Generic, TypeVar

from django.conf import settings
from django.core.cache import cache

from web.crypto import Unsealable, keyed_digest, seal, unseal

T = TypeVar("T")

FRESH_SECONDS = 10 * 60
STALE_SECONDS = 24 * 3600
# An unchanged answer is written again at most once per this many seconds (per process).
KEEP_AGAIN_AFTER = 30
_PURPOSE = "nexudus.copies"


def webhooks_on() -> bool:
    """Whether signed webhooks keep copies fresh (the secret is set)."""
    return bool(getattr(settings, "NEXUDUS_WEBHOOK_SECRET", ""))


@dataclass(frozen=True, slots=True)
class Copy(Generic[T]):
    """A kept value and when it was taken from Nexudus."""

    value: T
    taken_at: float  # seconds since the epoch
    generation: str

    @property
    def as_of(self) -> datetime:
        return datetime.fromtimestamp(self.taken_at, tz=UTC)


class MemberCopies:
    """One member's copies, on one Nexudus host, for one request. Names are chosen by the
    caller ("ledger", "paid:<query>", "invoice:<id>"); they never leave this object unhashed.

    The generation is read once per object, at its first use (`fresh` reads it before the
    copy, so for the panel's unpaid set that is before Nexudus is asked): a webhook that lands
    after that makes this request's copies unfresh, never the other way, and a page that keeps
    several copies pays for one read (two cache reads and a digest)."""

    def __init__(
        self, host: str, coworker_id: int, *, clock: Callable[[], float] = time.time
    ) -> None:
        self.host = host.rstrip("/")
        self.coworker_id = coworker_id
        self.clock = clock
        self._generation_read: str | None = None

    def fresh(self, name: str) -> Any | None:
        """The copy, if webhooks are on and none has touched the member since it was taken."""
        if not webhooks_on():
            return None
        generation = self._generation()  # first: what this request keeps later carries it
        kept = self._read(name)
        if kept is None or self.clock() - kept.taken_at > FRESH_SECONDS:
            return None
        if kept.generation != generation:
            return None
        return kept.value

    def stale(self, name: str) -> Copy[Any] | None:
        """The last good copy, however it has been touched since, if at most a day old."""
        kept = self._read(name)
        if kept is None or self.clock() - kept.taken_at > STALE_SECONDS:
            return None
        return kept

    def keep(self, name: str, value: Any) -> None:
        """Remember what Nexudus just answered. The generation is read first: a webhook that
        lands while the answer was on its way makes this copy unfresh, never the other way.

        An answer this process kept under the same name and generation in the same
        `KEEP_AGAIN_AFTER` seconds, byte for byte, is not sealed and written again while a copy
        is still under its key (most views repeat the last answer). The copy's time then stays
        that of its first taking, at most that many seconds earlier; and if another worker wrote
        a different answer there meanwhile, that one stays for as long."""
        # Without webhooks no copy is ever fresh, so the generation (two cache reads and a
        # digest) is not read: an empty one matches none, should webhooks be turned on later.
        generation = self._generation() if webhooks_on() else ""
        value_bytes = pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL)
        key = self._key(name)
        now = self.clock()
        sameness = hashlib.blake2b(value_bytes + generation.encode(), digest_size=16).digest()
        written = (sameness, int(now // KEEP_AGAIN_AFTER))
        # `touch` proves a copy is still there (nothing evicted or cleared it since).
        if _recently_kept.get(key) == written and cache.touch(key, STALE_SECONDS):
            return
        data = seal(pickle.dumps((now, generation, value_bytes)), purpose=_PURPOSE)
        cache.set(key, data, STALE_SECONDS)
        _recently_kept.put(key, written)

    def forget_fresh(self) -> None:
        """Make every copy unfresh (a Pay hand-off or a checkout just changed what is owed).
        They stay as stale copies for when Nexudus fails."""
        touch(self.host, self.coworker_id)
        self._generation_read = None  # read the new one, should this request go on

    def _read(self, name: str) -> Copy[Any] | None:
        data = cache.get(self._key(name))
        if not isinstance(data, str):
            return None
        try:
            taken_at, generation, value_bytes = pickle.loads(unseal(data, purpose=_PURPOSE))  # noqa: S301 - sealed by us
            value = pickle.loads(value_bytes)  # noqa: S301 - inside the same seal
        except (Unsealable, pickle.UnpicklingError, AttributeError, ImportError, EOFError):
            return None  # written by another release or another key: as good as absent
        except (TypeError, ValueError):
            return None  # another release's layout
        return Copy(value=value, taken_at=taken_at, generation=generation)

    def _generation(self) -> str:
        """The member's generation and everyone's, as one mark. A missing one (never set, or
        evicted) is created anew, so an eviction makes copies unfresh, never fresh again."""
        if self._generation_read is None:
            member = _current(_generation_key(self.host, self.coworker_id))
            self._generation_read = f"{_current(_EVERYONE)}.{member}"
        return self._generation_read

    def _key(self, name: str) -> str:
        return "copy:" + keyed_digest(_PURPOSE, f"{self.host}|{self.coworker_id}|{name}")


def touch(host: str, coworker_id: int) -> None:
    """Something changed for this member (a webhook, a payment): no copy of theirs is fresh."""
    cache.set(_generation_key(host.rstrip("/"), coworker_id), _new_generation(), STALE_SECONDS)


def touch_everyone() -> None:
    """A signed webhook we could not tie to a member: no copy of anyone's is fresh."""
    cache.set(_EVERYONE, _new_generation(), STALE_SECONDS)


_EVERYONE = "copy-gen:everyone"


def _generation_key(host: str, coworker_id: int) -> str:
    return "copy-gen:" + keyed_digest(_PURPOSE + ".generation", f"{host}|{coworker_id}")


def _current(key: str) -> str:
    generation = cache.get(key)
    if generation is None:
        cache.add(key, _new_generation(), STALE_SECONDS)
        generation = cache.get(key)
    return str(generation)


def _new_generation() -> str:
    return secrets.token_hex(8)


class _RecentlyKept:
    """What this process last wrote under each copy key, and in which `KEEP_AGAIN_AFTER`
    window: bounded (oldest forgotten first), shared by the worker's threads."""

    def __init__(self, size: int) -> None:
        self.size = size
        self._entries: OrderedDict[str, tuple[bytes, int]] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: str) -> tuple[bytes, int] | None:
        with self._lock:
            return self._entries.get(key)

    def put(self, key: str, entry: tuple[bytes, int]) -> None:
        with self._lock:
            self._entries[key] = entry
            self._entries.move_to_end(key)
            while len(self._entries) > self.size:
                self._entries.popitem(last=False)


_recently_kept = _RecentlyKept(size=4096)
