"""Nexudus webhooks as they arrive: the signature checked, the members they concern found.

What Nexudus sends (help.nexudus.com, "Verifying Webhooks Created via the API"; the sandbox's
`sandbox/webhooks.py` does the same): a POST whose body is a JSON array of records, signed in
`X-Nexudus-Hook-Signature` with the upper-case hex HMAC-SHA256 of the body under the webhook's
secret. Nexudus computes it in .NET with `ASCIIEncoding`, which turns every non-ASCII UTF-16
code unit into "?": a body with "€" in it is signed as if it said "?". So the signature is
checked over those bytes, and (in case a later Nexudus signs what it sends) over the raw bytes
too. Either match must be exact; the comparison takes constant time.

A signed body tells us which members' invoices changed (each record's `CoworkerId`). A signed
body that names no one we can find is still a change we missed: the caller treats it as a
change for everyone rather than ignore it.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from dataclasses import dataclass
from typing import Any

SIGNATURE_HEADER = "X-Nexudus-Hook-Signature"
# One record is a few hundred bytes; Nexudus sends one per webhook. Room for a batch, no more.
MAX_BODY_BYTES = 256 * 1024


class Refused(ValueError):
    """A webhook we will not act on. `status` is the answer: 400 or 403, never a 500."""

    def __init__(self, status: int, reason: str) -> None:
        super().__init__(reason)
        self.status = status
        self.reason = reason


@dataclass(frozen=True, slots=True)
class Change:
    """What a signed webhook told us: the members whose invoices changed (empty: unknown)."""

    coworker_ids: frozenset[int]
    records: int


def dotnet_ascii(text: str) -> bytes:
    """`new ASCIIEncoding().GetBytes(text)`: each UTF-16 code unit outside ASCII becomes "?"."""
    if text.isascii():
        return text.encode("ascii")
    return bytes(
        b for char in text for b in (bytes([ord(char)]) if ord(char) < 0x80 else _question(char))
    )


def _question(char: str) -> bytes:
    # Outside the Basic Multilingual Plane a character is two UTF-16 code units: two "?".
    return b"??" if ord(char) > 0xFFFF else b"?"


def signature_for(body: bytes, secret: str) -> str:
    """The signature Nexudus sends with `body` (the UTF-8 bytes as received)."""
    message = dotnet_ascii(body.decode("utf-8"))
    return hmac.new(dotnet_ascii(secret), message, hashlib.sha256).hexdigest().upper()


def read_change(body: bytes, signature: str | None, secret: str) -> Change:
    """Check a webhook and say what changed. Raises Refused (403 unsigned or mis-signed, 400
    oversized or malformed)."""
    if not secret:
        raise Refused(403, "webhooks are not configured")
    if len(body) > MAX_BODY_BYTES:
        raise Refused(400, "too large")
    if not signature:
        raise Refused(403, "unsigned")
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        raise Refused(400, "not UTF-8") from None
    if not _signed(body, text, signature.strip(), secret):
        raise Refused(403, "bad signature")
    try:
        payload = json.loads(text)
    except ValueError:
        raise Refused(400, "not JSON") from None
    records = payload if isinstance(payload, list) else [payload]
    if not records or not all(isinstance(record, dict) for record in records):
        raise Refused(400, "not a list of records")
    owners = {owner for record in records if (owner := _coworker_id(record)) is not None}
    return Change(coworker_ids=frozenset(owners), records=len(records))


def _signed(body: bytes, text: str, signature: str, secret: str) -> bool:
    given = signature.upper().encode("ascii", "replace")
    key = dotnet_ascii(secret)
    expected = [hmac.new(key, dotnet_ascii(text), hashlib.sha256)]
    if not text.isascii():
        expected.append(hmac.new(secret.encode("utf-8"), body, hashlib.sha256))
    # Every candidate is compared, so the time taken does not say which one came close.
    matches = [hmac.compare_digest(given, mac.hexdigest().upper().encode()) for mac in expected]
    return any(matches)


def _coworker_id(record: dict[str, Any]) -> int | None:
    """The member an invoice record belongs to: `CoworkerId`, or a nested `Coworker.Id`."""
    value = record.get("CoworkerId")
    if value is None and isinstance(record.get("Coworker"), dict):
        value = record["Coworker"].get("Id")
    if isinstance(value, bool):
        return None
    if isinstance(value, int) and value > 0:
        return value
    if isinstance(value, str) and value.isdigit() and value.isascii():
        return int(value) or None
    return None
