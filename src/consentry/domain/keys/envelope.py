"""AES-GCM envelope encryption for key material and other secrets at rest (SEC-2, SEC-3)."""

from __future__ import annotations

import os

from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from consentry.domain.secrets import derive_key


class Envelope:
    """Seals bytes with a key derived from the root secret; the associated data binds a purpose."""

    def __init__(self, root_secret: str) -> None:
        self._aead = AESGCM(derive_key(root_secret, "keyring"))

    def seal(self, plaintext: bytes, aad: bytes) -> bytes:
        nonce = os.urandom(12)
        return nonce + self._aead.encrypt(nonce, plaintext, aad)

    def open(self, blob: bytes, aad: bytes) -> bytes:
        return self._aead.decrypt(blob[:12], blob[12:], aad)
