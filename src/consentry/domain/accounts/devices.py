"""Browsers an account has signed in from: their owner skips the limits an attacker triggers.

A per-account lock would let anyone lock anyone out (ten wrong passwords); instead, a browser
that signed in to the account before keeps its own budget, so the owner signs in as usual while
strangers' browsers must solve a CAPTCHA (the "device cookie" defence, OWASP).
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from consentry.domain.secrets import Hasher
from consentry.storage.tables import TrustedDevice
from consentry.storage.tables.base import now
from consentry.storage.upsert import insert_for

#: The browser's device secret: random, HttpOnly, sent only to sign-in.
COOKIE = "consentry_device"


class TrustedDevices:
    def __init__(self, hasher: Hasher, ttl: int) -> None:
        self.hasher = hasher
        self.ttl = ttl

    def device_hash(self, device: str) -> str:
        return self.hasher.hash("device:" + device)

    def is_trusted(self, session: Session, device: str | None, user_id: int) -> bool:
        if not device or len(device) > 100:
            return False
        found = session.scalar(
            select(TrustedDevice.id).where(
                TrustedDevice.device_hash == self.device_hash(device),
                TrustedDevice.user_id == user_id,
                TrustedDevice.expires_at > now(),
            )
        )
        return found is not None

    def known(self, session: Session, device: str) -> bool:
        """True when this secret is one we handed out (trusted for some account, not expired)."""
        if len(device) > 100:
            return False
        found = session.scalar(
            select(TrustedDevice.id)
            .where(TrustedDevice.device_hash == self.device_hash(device), TrustedDevice.expires_at > now())
            .limit(1)
        )
        return found is not None

    def trust(self, session: Session, device: str, user_id: int) -> None:
        """Trust (or trust again, for another ``ttl``) this browser for this account."""
        expires_at = now() + self.ttl
        stmt = insert_for(session)(TrustedDevice).values(
            device_hash=self.device_hash(device), user_id=user_id, expires_at=expires_at, created_at=now()
        )
        session.execute(
            stmt.on_conflict_do_update(
                index_elements=[TrustedDevice.device_hash, TrustedDevice.user_id],
                set_={"expires_at": expires_at},
            )
        )
