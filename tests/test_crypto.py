"""Pseudonyms are stable and keyed; sealed values open only with the same key and context."""

from __future__ import annotations

import pytest

from bot.kernel.crypto import Keyring, SealError

KEY = b"k" * 40


def test_pseudonym_is_stable_keyed_and_hides_the_id() -> None:
    ring = Keyring(KEY)
    assert ring.pseudonym(123456789) == Keyring(KEY).pseudonym(123456789)
    assert ring.pseudonym(123456789) != ring.pseudonym(123456790)
    assert ring.pseudonym(123456789) != Keyring(b"other" * 8).pseudonym(123456789)
    assert "123456789" not in ring.pseudonym(123456789)


def test_sealed_value_opens_only_in_its_context_and_key() -> None:
    ring = Keyring(KEY)
    token = ring.seal("987654321", context="p1")
    assert "987654321" not in token
    assert ring.unseal(token, context="p1") == "987654321"
    with pytest.raises(SealError):
        ring.unseal(token, context="p2")
    with pytest.raises(SealError):
        Keyring(b"x" * 40).unseal(token, context="p1")
    with pytest.raises(SealError):
        ring.unseal(token[:-2] + ("A" if token[-2] != "A" else "B") + token[-1], context="p1")


def test_signature_rejects_forgery_and_truncation() -> None:
    ring = Keyring(KEY)
    signature = ring.sign("tip:TB-7K3M-Q9XD:take")
    assert ring.verify("tip:TB-7K3M-Q9XD:take", signature)
    assert not ring.verify("tip:TB-7K3M-Q9XD:close", signature)
    assert not ring.verify("tip:TB-7K3M-Q9XD:take", signature[:3])
    assert not ring.verify("tip:TB-7K3M-Q9XD:take", "")


def test_short_secret_is_refused() -> None:
    with pytest.raises(ValueError, match="32 bytes"):
        Keyring(b"short")
