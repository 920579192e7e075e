"""JWT-shaped tokens (HS256) without a JWT library.

The sandbox signs its media tokens and invoice-scoped registration tokens itself: a base64url
JSON header, a base64url JSON payload and an HMAC-SHA256 signature with a per-app secret. That
is all a client may rely on (it must treat them as opaque), and all the sandbox needs to verify.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
from typing import Any

_HEADER = {"alg": "HS256", "typ": "JWT"}


def _b64encode(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


def _b64decode(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _json_segment(value: dict[str, Any]) -> str:
    return _b64encode(json.dumps(value, separators=(",", ":"), sort_keys=True).encode())


def _signature(signing_input: str, secret: bytes) -> str:
    return _b64encode(hmac.new(secret, signing_input.encode("ascii"), hashlib.sha256).digest())


def sign(payload: dict[str, Any], secret: bytes) -> str:
    """Encode and sign `payload` as `<header>.<payload>.<signature>`."""
    signing_input = f"{_json_segment(_HEADER)}.{_json_segment(payload)}"
    return f"{signing_input}.{_signature(signing_input, secret)}"


def verify(token: str | None, secret: bytes, now: float) -> dict[str, Any] | None:
    """The payload of a well-formed, correctly signed, unexpired token; otherwise None.

    `now` comes from the sandbox clock (POSIX seconds); a token whose `exp` is at or before it
    is expired. Tokens without `exp` do not expire.
    """
    if not token or token.count(".") != 2:
        return None
    header_part, payload_part, signature = token.split(".")
    expected = _signature(f"{header_part}.{payload_part}", secret)
    if not hmac.compare_digest(expected.encode("ascii"), signature.encode("ascii", "replace")):
        return None
    try:
        header = json.loads(_b64decode(header_part))
        payload = json.loads(_b64decode(payload_part))
    except (ValueError, binascii.Error):
        return None
    if not isinstance(header, dict) or header.get("alg") != "HS256":
        return None
    if not isinstance(payload, dict):
        return None
    exp = payload.get("exp")
    if exp is not None and (not isinstance(exp, int | float) or exp <= now):
        return None
    return payload
