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

import pickle
import secrets
import time
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

    The generation is read once per object, before the first copy is read or kept: a webhook
    that lands later in the request makes this request's copies unfresh, never the other way,
    and a page that keeps several copies pays for one read (two cache reads and a digest)."""

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
        lands while the answer was on its way makes this copy unfresh, never the other way."""
        # Without webhooks no copy is ever fresh, so the generation (two cache reads and a
        # digest) is not read: an empty one matches none, should webhooks be turned on later.
        generation = self._generation() if webhooks_on() else ""
        kept = Copy(value=value, taken_at=self.clock(), generation=generation)
        data = seal(pickle.dumps(kept, protocol=pickle.HIGHEST_PROTOCOL), purpose=_PURPOSE)
        cache.set(self._key(name), data, STALE_SECONDS)

    def forget_fresh(self) -> None:
        """Make every copy unfresh (a Pay hand-off or a checkout just changed what is owed).
        They stay as stale copies for when Nexudus fails."""
        touch(self.host, self.coworker_id)

    def _read(self, name: str) -> Copy[Any] | None:
        data = cache.get(self._key(name))
        if not isinstance(data, str):
            return None
        try:
            kept = pickle.loads(unseal(data, purpose=_PURPOSE))  # noqa: S301 - sealed by us
        except (Unsealable, pickle.UnpicklingError, AttributeError, ImportError, EOFError):
            return None  # written by another release or another key: as good as absent
        return kept if isinstance(kept, Copy) else None

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
