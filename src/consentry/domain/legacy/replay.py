"""Signed legacy requests are accepted once: OAuth 1.0a nonce + timestamp, AuthSub secure data.

The timestamp must be within ``SKEW`` seconds of now; inside that window the (key, timestamp,
nonce) triple is remembered, so a captured request replayed later fails on one or the other.
One INSERT on a primary key decides, so two concurrent replays cannot both pass.
"""

from __future__ import annotations

import re

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from consentry.domain.secrets import Hasher
from consentry.storage.tables import LegacyNonce
from consentry.storage.tables.base import now

#: Seconds a signed request's timestamp may differ from our clock (RFC 5849 leaves it to servers).
SKEW = 300
MAX_NONCE = 128
DIGITS = re.compile(r"[0-9]{1,12}")


def fresh_timestamp(timestamp: str, at: int | None = None) -> bool:
    if not DIGITS.fullmatch(timestamp):  # not str.isdigit: "²" is a digit to it, and int() fails
        return False
    return abs(int(timestamp) - (now() if at is None else at)) <= SKEW


def first_use(session: Session, hasher: Hasher, scope: str, timestamp: str, nonce: str) -> bool:
    """True the first time (scope, timestamp, nonce) is seen; False for a replay or a bad nonce.

    ``scope`` names who signed (consumer key, token), so two apps may pick the same nonce.
    """
    if not nonce or len(nonce) > MAX_NONCE or not fresh_timestamp(timestamp):
        return False
    key = hasher.hash(f"legacy-nonce:{scope}:{timestamp}:{nonce}")
    try:
        with session.begin_nested():
            session.add(LegacyNonce(key_hash=key, expires_at=int(timestamp) + SKEW))
            session.flush()
    except IntegrityError:
        return False
    return True
