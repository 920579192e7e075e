"""Secrets at rest: sealed values and keyed digests, with keys derived from SECRET_KEY.

Whatever the portal keeps in a session row or in the shared cache (Redis in production) can be
read by anyone who reads that store. So a value that is a secret (a password between sign-in
steps, a media JWT) is sealed, and a cache key that would name a person or a session (an
e-mail, a session key, a gateway session id) is a keyed digest of it instead.

Each purpose gets keys of its own (HKDF over SECRET_KEY with the purpose as `info`), so a value
sealed for one purpose never opens as another, and a digest made for one kind of key never
matches another. Sealed values still open after a key rotation that keeps the old key in
SECRET_KEY_FALLBACKS; digests change with the key (cache entries are only ever short-lived).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
from collections.abc import Iterator
from functools import lru_cache

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.conf import settings

# The first byte of every sealed value: lets a later release change the scheme and still
# recognise (and refuse) what this one wrote.
_VERSION = b"\x01"
_NONCE_BYTES = 12


class Unsealable(ValueError):
    """Not a value this portal sealed for this purpose (tampered, truncated, or another key)."""


@lru_cache(maxsize=64)
def _derive(secret: str, info: str) -> bytes:
    hkdf = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=info.encode())
    return hkdf.derive(secret.encode())


def _keys(kind: str, purpose: str) -> Iterator[bytes]:
    info = f"member-portal:{kind}:{purpose}"
    yield _derive(settings.SECRET_KEY, info)
    for old in getattr(settings, "SECRET_KEY_FALLBACKS", []):
        yield _derive(old, info)


def seal(data: bytes, *, purpose: str) -> str:
    """`data` encrypted and authenticated (AES-256-GCM), as text a session or cache can hold."""
    key = next(_keys("seal", purpose))
    nonce = os.urandom(_NONCE_BYTES)
    sealed = AESGCM(key).encrypt(nonce, data, purpose.encode())
    return base64.urlsafe_b64encode(_VERSION + nonce + sealed).decode("ascii")


def unseal(token: str, *, purpose: str) -> bytes:
    """What `seal` was given; Unsealable for anything it did not make for this purpose."""
    try:
        raw = base64.urlsafe_b64decode(token.encode("ascii"))
    except (ValueError, UnicodeError) as error:
        raise Unsealable("not a sealed value") from error
    if not raw.startswith(_VERSION) or len(raw) <= len(_VERSION) + _NONCE_BYTES:
        raise Unsealable("not a sealed value")
    nonce, sealed = raw[1 : 1 + _NONCE_BYTES], raw[1 + _NONCE_BYTES :]
    for key in _keys("seal", purpose):
        try:
            return AESGCM(key).decrypt(nonce, sealed, purpose.encode())
        except InvalidTag:
            continue
    raise Unsealable("sealed with another key or for another purpose")


def keyed_digest(purpose: str, text: str) -> str:
    """An HMAC-SHA256 of `text` under this purpose's key, in hex: a cache key that names
    nothing. Without SECRET_KEY nobody can test a guessed e-mail against it."""
    key = next(_keys("digest", purpose))
    return hmac.new(key, text.encode(), hashlib.sha256).hexdigest()
