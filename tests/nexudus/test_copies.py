"""Kept copies: one generation read per request, and a webhook mid-request never makes a copy
fresh that should not be."""

from __future__ import annotations

import pytest
from django.core.cache import cache

from nexudus import copies
from nexudus.copies import MemberCopies

HOST = "https://space.example"


@pytest.fixture(autouse=True)
def webhooks_on(settings) -> None:
    settings.NEXUDUS_WEBHOOK_SECRET = "test-secret"


def test_a_request_reads_the_generation_once_however_many_copies_it_keeps(monkeypatch):
    reads: list[str] = []
    real_get = cache.get
    monkeypatch.setattr(
        cache, "get", lambda key, *a, **k: reads.append(key) or real_get(key, *a, **k)
    )
    copies.touch(HOST, 7)
    copies.touch_everyone()
    request_copies = MemberCopies(HOST, 7)

    for name in ("ledger", "paid:1", "paid:2"):
        request_copies.keep(name, {"name": name})

    generation_reads = [key for key in reads if key.startswith("copy-gen:")]
    assert len(generation_reads) == 2  # the member's and everyone's, once each


def test_a_webhook_landing_mid_request_leaves_that_requests_copy_unfresh():
    request_copies = MemberCopies(HOST, 7)
    assert request_copies.fresh("ledger") is None  # the request starts: nothing kept yet

    copies.touch(HOST, 7)  # a webhook lands while the answer is on its way
    request_copies.keep("ledger", ["the answer"])

    assert MemberCopies(HOST, 7).fresh("ledger") is None
    assert MemberCopies(HOST, 7).stale("ledger").value == ["the answer"]


def test_a_copy_kept_after_the_last_webhook_is_fresh_for_the_next_request():
    copies.touch(HOST, 7)
    MemberCopies(HOST, 7).keep("ledger", ["the answer"])

    assert MemberCopies(HOST, 7).fresh("ledger") == ["the answer"]
    assert MemberCopies(HOST, 8).fresh("ledger") is None


def test_without_webhooks_keeping_reads_no_generation_and_is_never_fresh(settings, monkeypatch):
    settings.NEXUDUS_WEBHOOK_SECRET = ""
    reads: list[str] = []
    real_get = cache.get
    monkeypatch.setattr(
        cache, "get", lambda key, *a, **k: reads.append(key) or real_get(key, *a, **k)
    )

    MemberCopies(HOST, 7).keep("ledger", ["the answer"])
    assert not [key for key in reads if key.startswith("copy-gen:")]
    assert MemberCopies(HOST, 7).stale("ledger").value == ["the answer"]

    settings.NEXUDUS_WEBHOOK_SECRET = "now-on"
    assert MemberCopies(HOST, 7).fresh("ledger") is None


def _count_sets(monkeypatch) -> list[str]:
    writes: list[str] = []
    real_set = cache.set
    monkeypatch.setattr(
        cache, "set", lambda key, *a, **k: writes.append(key) or real_set(key, *a, **k)
    )
    return writes


def test_an_unchanged_answer_is_written_once_per_window(monkeypatch):
    now = [1_000_000.0]
    writes = _count_sets(monkeypatch)

    def keep(value) -> None:
        MemberCopies(HOST, 7, clock=lambda: now[0]).keep("ledger", value)

    keep(["a"])
    keep(["a"])  # the same answer, the same window: not sealed and written again
    assert len(writes) == 1
    keep(["b"])  # a changed answer is always written
    assert len(writes) == 2
    assert MemberCopies(HOST, 7, clock=lambda: now[0]).stale("ledger").value == ["b"]

    now[0] += copies.KEEP_AGAIN_AFTER
    keep(["b"])  # a new window: written again, with its new time
    assert len(writes) == 3
    assert MemberCopies(HOST, 7, clock=lambda: now[0]).stale("ledger").taken_at == now[0]


def test_an_answer_whose_copy_was_evicted_is_written_again(monkeypatch):
    writes = _count_sets(monkeypatch)
    MemberCopies(HOST, 7).keep("ledger", ["a"])
    cache.clear()

    MemberCopies(HOST, 7).keep("ledger", ["a"])

    assert len(writes) == 2
    assert MemberCopies(HOST, 7).stale("ledger").value == ["a"]


def test_a_webhook_makes_the_same_answer_be_written_again_fresh(monkeypatch):
    MemberCopies(HOST, 7).keep("ledger", ["a"])
    copies.touch(HOST, 7)
    assert MemberCopies(HOST, 7).fresh("ledger") is None

    MemberCopies(HOST, 7).keep("ledger", ["a"])

    assert MemberCopies(HOST, 7).fresh("ledger") == ["a"]


def test_after_forgetting_in_a_request_its_earlier_copies_are_not_fresh_to_it():
    """A Pay hand-off drops the member's fresh copies: the same request must not see one."""
    copies.touch(HOST, 7)
    MemberCopies(HOST, 7).keep("ledger", ["before paying"])
    request_copies = MemberCopies(HOST, 7)
    assert request_copies.fresh("ledger") == ["before paying"]

    request_copies.forget_fresh()

    assert request_copies.fresh("ledger") is None
