"""What invoice pages keep of a member's data, and give back when Nexudus cannot.

Pages fetch through these helpers instead of asking Nexudus directly:

- the unpaid set (`Ledger`, what the panel and To pay show) comes from a fresh copy when signed
  webhooks vouch for it (nexudus.copies), so a repeat dashboard costs no upstream call;
- every good answer is kept, and when Nexudus fails (down, slow, nonsense) the page shows the
  last good copy, at most a day old, with its time ("as of 14:05") and a retry.

A client without `copies` (a visitor, a preview's sample client that keeps nothing) fetches as
before. Only answers are kept: never a media token, never a PDF.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, TypeVar

from django.utils.translation import gettext as _

from nexudus import NexudusError, NotFound, SessionExpired, Unauthorized
from web.formatting import format_moment

T = TypeVar("T")

LEDGER = "ledger"


@dataclass(frozen=True, slots=True)
class Staleness:
    """Shown data is a kept copy: when it was taken, in words for the member."""

    as_of: datetime

    def notice(self, culture: str | None, time_zone: str | None, *, one: bool = False) -> str:
        time = format_moment(self.as_of, culture, time_zone)
        if one:
            return _("Showing this invoice as of %(time)s — Nexudus is not answering.") % {
                "time": time
            }
        return _("Showing your invoices as of %(time)s — Nexudus is not answering.") % {
            "time": time
        }


def copies_of(nexudus: Any) -> Any | None:
    return getattr(nexudus, "copies", None)


def fresh_ledger(nexudus: Any) -> Any | None:
    """The unpaid set as a webhook-vouched copy, or None (then ask Nexudus)."""
    copies = copies_of(nexudus)
    return copies.fresh(LEDGER) if copies is not None else None


def keep(nexudus: Any, name: str, value: Any) -> None:
    copies = copies_of(nexudus)
    if copies is not None:
        copies.keep(name, value)


def stale(nexudus: Any, name: str, error: NexudusError) -> tuple[Any, Staleness] | None:
    """The last good copy for an answer Nexudus just failed to give, if there is one and the
    failure is one a copy can stand in for (not "that is not yours", not "signed out")."""
    if isinstance(error, NotFound | Unauthorized | SessionExpired):
        return None
    copies = copies_of(nexudus)
    kept = copies.stale(name) if copies is not None else None
    if kept is None:
        return None
    return kept.value, Staleness(kept.as_of)


def fetched(nexudus: Any, name: str, fetch: Callable[[], T]) -> tuple[T, Staleness | None]:
    """`fetch()`, kept under `name`; when it fails, the last good copy and its time.
    Raises the NexudusError when there is no copy to stand in."""
    try:
        value = fetch()
    except NexudusError as error:
        standing_in = stale(nexudus, name, error)
        if standing_in is None:
            raise
        return standing_in
    keep(nexudus, name, value)
    return value, None


def oldest(*stalenesses: Staleness | None) -> Staleness | None:
    """What a page made of several answers says: the time of its oldest copy."""
    known = [staleness for staleness in stalenesses if staleness is not None]
    return min(known, key=lambda staleness: staleness.as_of) if known else None


def kept_or_stale(nexudus: Any, name: str, answer: Any) -> tuple[Any, Staleness | None]:
    """Keep a good answer; stand in for a failed one (a NexudusError) with the last good copy,
    if there is one. Returns the answer to show and, for a copy, as of when."""
    if isinstance(answer, NexudusError):
        standing_in = stale(nexudus, name, answer)
        return standing_in if standing_in is not None else (answer, None)
    keep(nexudus, name, answer)
    return answer, None


def paid_name(query: Any) -> str:
    """The name a Paid page is kept under: one per query (page, switch, shape)."""
    return f"paid:{query!r}"
