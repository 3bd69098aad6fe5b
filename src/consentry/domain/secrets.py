"""Keyed hashing and random identifiers.

Tokens, codes and client secrets are machine-generated with 256 bits of entropy, so a
keyed hash (HMAC-SHA256) is enough to make a stolen table useless and keeps lookups to
one indexed equality; argon2 is reserved for human passwords.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time

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
        return hmac.digest(self._key, value.encode(), hashlib.sha256).hex()

    def token_key(self, token: str) -> str:
        """The stored key of an access or refresh token: 64 hex characters, like :meth:`hash`.

        Tokens from :func:`new_token` carry a public, time-ordered id; the key starts with it,
        followed by 192 bits of the keyed hash. New rows then land at the right edge of the
        unique index instead of on a random page, so an insert touches the same few pages
        however large the table grows (random keys cost a page write per row at 1M rows).
        Anything else (older tokens, JWTs, garbage) keys on the full keyed hash.
        """
        prefix, dot, rest = token.partition(".")
        if dot and prefix in ORDERED_PREFIXES and len(rest) > ID_CHARS and _is_hex(rest[:ID_CHARS]):
            return rest[:ID_CHARS] + self.hash(token)[ID_CHARS:]
        return self.hash(token)

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


#: Hex characters of a time-ordered id: 48 bits of milliseconds, 16 random bits.
ID_CHARS = 16


def ordered_id(random_bytes: int = 2) -> str:
    """Hex id that sorts by creation time (to the millisecond): index-friendly keys."""
    return f"{time.time_ns() // 1_000_000:012x}" + secrets.token_hex(random_bytes)


#: Access (cs2) and refresh (cr2) tokens that start with an ordered id; cs1/cr1 tokens do not.
ORDERED_PREFIXES = frozenset({"cs2", "cr2"})


def new_token(prefix: str) -> str:
    """``PREFIX.ORDERED_ID SECRET``: 256 random bits after a public id that orders the storage key.

    One dot only, so nothing mistakes it for a JWT (which has two).
    """
    return f"{prefix}.{ordered_id()}{new_secret(32)}"


def new_family() -> str:
    """Families are indexed too: time-ordered, with 64 random bits against collisions."""
    return ordered_id(8)


_HEX = frozenset("0123456789abcdef")


def _is_hex(text: str) -> bool:
    return _HEX.issuperset(text)
