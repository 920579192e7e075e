from __future__ import annotations

from datetime import UTC, datetime

from sandbox import tokens
from sandbox.clock import Clock


def test_it_tells_aware_utc_time() -> None:
    now = Clock().now()
    assert now.tzinfo is UTC
    assert abs((now - datetime.now(tz=UTC)).total_seconds()) < 5


def test_it_moves_forward_without_sleeping() -> None:
    clock = Clock()
    before, before_mono = clock.now(), clock.monotonic()
    clock.advance(61)
    assert 61 <= (clock.now() - before).total_seconds() < 66
    assert 61 <= clock.monotonic() - before_mono < 66
    assert clock.offset == 61


def test_it_can_be_set_to_an_instant() -> None:
    clock = Clock()
    clock.set(datetime(2030, 1, 1, 12, 0))
    assert abs((clock.now() - datetime(2030, 1, 1, 12, 0, tzinfo=UTC)).total_seconds()) < 5


def test_it_verifies_its_own_signatures_only() -> None:
    token = tokens.sign({"sub": "1", "exp": 100}, b"k1")
    assert tokens.verify(token, b"k1", now=99) == {"sub": "1", "exp": 100}
    assert tokens.verify(token, b"k2", now=99) is None
    assert tokens.verify(token, b"k1", now=100) is None
    header, payload, signature = token.split(".")
    assert tokens.verify(f"{header}.{payload}x.{signature}", b"k1", now=0) is None
    assert tokens.verify(None, b"k1", now=0) is None
    assert tokens.verify("not-a-jwt", b"k1", now=0) is None


def test_it_accepts_tokens_without_expiry() -> None:
    token = tokens.sign({"scope": "invoice"}, b"k")
    assert tokens.verify(token, b"k", now=1e12) == {"scope": "invoice"}
