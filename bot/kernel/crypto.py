"""Keyed pseudonyms and authenticated encryption derived from SECRET_KEY.

Anonymity rests here: the database stores HMACs of Telegram ids, never the ids, and anything
that must be read back (a chat id to reply to, a contact) is sealed with AES-GCM under a key
derived from SECRET_KEY. Losing SECRET_KEY loses the links, never the tips themselves.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

_NONCE_BYTES = 12


class SealError(Exception):
    """A sealed value could not be opened: wrong key, wrong context, or tampered bytes."""


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


class Keyring:
    """Derive purpose-bound keys from SECRET_KEY and use them."""

    def __init__(self, secret: bytes) -> None:
        if len(secret) < 32:
            raise ValueError("SECRET_KEY must be at least 32 bytes")
        self._pseudonym_key = self._derive(secret, b"pseudonym/v1")
        self._seal_key = self._derive(secret, b"seal/v1")
        self._sign_key = self._derive(secret, b"sign/v1")
        self._secret = secret
        self._mac_keys: dict[str, bytes] = {}

    @staticmethod
    def _derive(secret: bytes, purpose: bytes) -> bytes:
        return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=purpose).derive(secret)

    def pseudonym(self, user_id: int) -> str:
        """Return the stable, keyed pseudonym of a Telegram user id."""
        digest = hmac.new(self._pseudonym_key, f"user:{user_id}".encode(), hashlib.sha256)
        return _b64(digest.digest())

    def seal(self, plaintext: str, *, context: str) -> str:
        """Encrypt `plaintext`, bound to `context` (e.g. a pseudonym), as URL-safe text."""
        nonce = os.urandom(_NONCE_BYTES)
        sealed = AESGCM(self._seal_key).encrypt(nonce, plaintext.encode(), context.encode())
        return _b64(nonce + sealed)

    def unseal(self, token: str, *, context: str) -> str:
        """Decrypt a value made by `seal` with the same context, or raise SealError."""
        try:
            raw = _unb64(token)
            plain = AESGCM(self._seal_key).decrypt(
                raw[:_NONCE_BYTES], raw[_NONCE_BYTES:], context.encode()
            )
        except (InvalidTag, ValueError) as error:
            raise SealError("sealed value cannot be opened") from error
        return plain.decode()

    def sign(self, message: str, *, length: int = 10) -> str:
        """Return a short keyed signature of `message` (for callback data and links)."""
        digest = hmac.new(self._sign_key, message.encode(), hashlib.sha256).digest()
        return _b64(digest)[:length]

    def mac(self, purpose: str, message: str) -> str:
        """Return a full-length keyed hash of `message` under a key derived for `purpose`."""
        key = self._mac_keys.get(purpose)
        if key is None:
            key = self._mac_keys[purpose] = self._derive(self._secret, purpose.encode())
        return hmac.new(key, message.encode(), hashlib.sha256).hexdigest()

    def verify(self, message: str, signature: str, *, length: int = 10) -> bool:
        """Say whether `signature` was made by `sign` for `message` with the same length."""
        # A fixed length: accepting shorter signatures would let a forger guess one character.
        return len(signature) == length and hmac.compare_digest(
            self.sign(message, length=length), signature
        )
