"""Keyed hashing and random identifiers.

Tokens, codes and client secrets are machine-generated with 256 bits of entropy, so a
keyed hash (HMAC-SHA256) is enough to make a stolen table useless and keeps lookups to
one indexed equality; argon2 is reserved for human passwords.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF


def derive_key(root: str, purpose: str, length: int = 32) -> bytes:
    """A sub-key per purpose, so one leaked derived key exposes nothing else."""
    hkdf = HKDF(algorithm=hashes.SHA256(), length=length, salt=b"consentry/v1", info=purpose.encode())
    return hkdf.derive(root.encode())


class Hasher:
    """HMAC-SHA256 under a key derived from the root secret."""

    def __init__(self, root_secret: str, purpose: str = "token-hash") -> None:
        self._key = derive_key(root_secret, purpose)

    def hash(self, value: str) -> str:
        return hmac.new(self._key, value.encode(), hashlib.sha256).hexdigest()

    def matches(self, value: str, stored: str | None) -> bool:
        """Constant-time comparison against a stored hash."""
        if not stored:
            return False
        return hmac.compare_digest(self.hash(value), stored)


def new_secret(nbytes: int = 32) -> str:
    """URL-safe random string; 32 bytes = 256 bits."""
    return secrets.token_urlsafe(nbytes)


def new_id(nbytes: int = 16) -> str:
    return secrets.token_hex(nbytes)
