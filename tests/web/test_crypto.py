"""Sealed values and keyed digests (web.crypto)."""

from __future__ import annotations

import pytest

from web.crypto import Unsealable, keyed_digest, seal, unseal


def test_a_sealed_value_opens_for_its_purpose_and_hides_what_it_holds() -> None:
    sealed = seal(b"demo-pass-1", purpose="members.pending-password")
    assert "demo-pass-1" not in sealed
    assert sealed != seal(b"demo-pass-1", purpose="members.pending-password")  # fresh nonce
    assert unseal(sealed, purpose="members.pending-password") == b"demo-pass-1"


def test_a_sealed_value_does_not_open_for_another_purpose() -> None:
    sealed = seal(b"secret", purpose="one")
    with pytest.raises(Unsealable):
        unseal(sealed, purpose="another")


@pytest.mark.parametrize("mangle", [lambda s: s[:-4] + "AAAA", lambda s: s[:10], lambda s: "%%%"])
def test_a_tampered_or_foreign_value_does_not_open(mangle) -> None:
    with pytest.raises(Unsealable):
        unseal(mangle(seal(b"secret", purpose="p")), purpose="p")


def test_values_sealed_before_a_key_rotation_still_open(settings) -> None:
    sealed = seal(b"secret", purpose="p")
    settings.SECRET_KEY_FALLBACKS = [settings.SECRET_KEY]
    settings.SECRET_KEY = "a-new-secret-key-" + "n" * 40
    assert unseal(sealed, purpose="p") == b"secret"
    settings.SECRET_KEY_FALLBACKS = []
    with pytest.raises(Unsealable):
        unseal(sealed, purpose="p")


def test_keyed_digests_depend_on_purpose_text_and_secret_key(settings) -> None:
    digest = keyed_digest("throttle:account", "ada@example.com")
    assert len(digest) == 64
    assert digest == keyed_digest("throttle:account", "ada@example.com")
    assert digest != keyed_digest("throttle:address", "ada@example.com")
    assert digest != keyed_digest("throttle:account", "grace@example.com")
    settings.SECRET_KEY = "another-secret-key-" + "z" * 40
    assert digest != keyed_digest("throttle:account", "ada@example.com")
