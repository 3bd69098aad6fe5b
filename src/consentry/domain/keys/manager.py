"""Signing keys for ID tokens and JWT access tokens: create, rotate, publish, cache.

Keys live in the database (every process sees the same set) with private halves sealed by
:class:`Envelope`. Each process caches the decrypted keys for ``CACHE_SECONDS`` so signing
never waits on the database or on decryption.
"""

from __future__ import annotations

import json
import threading
import time
from dataclasses import dataclass
from typing import Any

from joserfc.jwk import ECKey, KeySet, RSAKey
from sqlalchemy import select
from sqlalchemy.orm import Session

from consentry.domain.audit import record
from consentry.domain.audit.tags import AuditTag, Channel
from consentry.domain.keys.envelope import Envelope
from consentry.domain.secrets import new_id
from consentry.storage.db import Database
from consentry.storage.tables import SigningKey
from consentry.storage.tables.base import now

ALGORITHMS = ("RS256", "ES256")
CACHE_SECONDS = 30
#: ``current()`` reloads a key set this long before it expires, and ``fresh()`` counts it stale: a set
#: that a request's prefetch accepted outlives the request, so Authlib's hooks, which sign, never
#: reload it (the database is forbidden there: protocol/oauth2/exchange.py).
RELOAD_AHEAD_SECONDS = 5
#: How long relying parties may cache /jwks (its Cache-Control max-age).
JWKS_MAX_AGE = 60
#: A new key signs only after every process publishes it AND every cached /jwks has expired.
SETTLE_SECONDS = CACHE_SECONDS + JWKS_MAX_AGE


@dataclass(frozen=True)
class LoadedKeys:
    signing: dict[str, RSAKey | ECKey]  # alg -> newest active private key
    public_jwks: dict[str, Any]
    loaded_at: float


def _generate(alg: str, kid: str) -> RSAKey | ECKey:
    params: Any = {"alg": alg, "use": "sig", "kid": kid}
    if alg == "RS256":
        return RSAKey.generate_key(2048, parameters=params, private=True)
    return ECKey.generate_key("P-256", parameters=params, private=True)


def create_key(session: Session, envelope: Envelope, alg: str) -> SigningKey:
    kid = f"{alg.lower()}-{new_id(8)}"
    key = _generate(alg, kid)
    private = json.dumps(key.as_dict(private=True)).encode()
    row = SigningKey(
        kid=kid,
        alg=alg,
        public_jwk=key.as_dict(private=False),
        private_blob=envelope.seal(private, kid.encode()),
        status="active",
    )
    session.add(row)
    return row


def ensure_keys(session: Session, envelope: Envelope) -> None:
    """Make sure one active key exists per algorithm."""
    active = set(session.scalars(select(SigningKey.alg).where(SigningKey.status == "active")))
    for alg in ALGORITHMS:
        if alg not in active:
            create_key(session, envelope, alg)


def rotate(session: Session, envelope: Envelope) -> list[str]:
    """New active key per algorithm; the old ones keep verifying (published) until retired."""
    for row in session.scalars(select(SigningKey).where(SigningKey.status == "active")):
        row.status = "retiring"
        row.retired_at = now()
    kids = [create_key(session, envelope, alg).kid for alg in ALGORITHMS]
    record(session, AuditTag.KEYS_ROTATE, data={"kids": kids}, channel=Channel.CLI)
    return kids


def _signing_row(rows: list[SigningKey]) -> SigningKey | None:
    """The key to sign with: the newest one every process has surely published already.

    Processes cache the key set for CACHE_SECONDS, and relying parties cache /jwks for
    JWKS_MAX_AGE, so a younger key may be missing from the key set a verifier holds; until it
    is old enough, keep signing with the previous one.
    """
    if not rows:
        return None
    settled = now() - SETTLE_SECONDS
    ordered = sorted(rows, key=lambda r: r.created_at, reverse=True)
    ready = next((r for r in ordered if r.created_at <= settled), None)
    if ready is not None:
        return ready
    # Nothing settled yet: keep the key that signed before the rotation (the last one retired),
    # whatever the clock says (two keys can share a creation second).
    retired = [r for r in rows if r.status != "active"]
    return max(retired, key=lambda r: r.retired_at or 0) if retired else ordered[-1]


class KeyManager:
    """Per-process cache of the key set."""

    def __init__(self, db: Database, envelope: Envelope, publish_retired_for: int) -> None:
        self._db = db
        self._envelope = envelope
        self._publish_retired_for = publish_retired_for
        self._lock = threading.Lock()
        self._loaded: LoadedKeys | None = None

    def _load(self) -> LoadedKeys:
        cutoff = now() - self._publish_retired_for
        signing: dict[str, RSAKey | ECKey] = {}
        with self._db.unit_of_work() as session:
            rows = list(session.scalars(select(SigningKey).order_by(SigningKey.created_at.desc())))
            published = [r for r in rows if r.status == "active" or (r.retired_at or 0) >= cutoff]
            public = [r.public_jwk for r in published]
            for alg in ALGORITHMS:
                row = _signing_row([r for r in published if r.alg == alg])
                if row is not None:
                    data = json.loads(self._envelope.open(row.private_blob, row.kid.encode()))
                    imported = KeySet.import_key_set({"keys": [data]}).keys[0]
                    assert isinstance(imported, RSAKey | ECKey)
                    signing[alg] = imported
        return LoadedKeys(signing=signing, public_jwks={"keys": public}, loaded_at=time.monotonic())

    def _cached(self, max_age: float) -> LoadedKeys | None:
        loaded = self._loaded
        if loaded is None or time.monotonic() - loaded.loaded_at > max_age:
            return None
        return loaded

    def current(self) -> LoadedKeys:
        """The key set, reloaded once it is ``CACHE_SECONDS - RELOAD_AHEAD_SECONDS`` old."""
        loaded = self._cached(CACHE_SECONDS - RELOAD_AHEAD_SECONDS)
        if loaded is None:
            with self._lock:
                loaded = self._cached(CACHE_SECONDS - RELOAD_AHEAD_SECONDS)
                if loaded is None:
                    loaded = self._loaded = self._load()
        return loaded

    def fresh(self) -> LoadedKeys | None:
        """The cached key set if ``current()`` would not reload it, so async callers know when to
        call that in a thread, before any hook signs."""
        return self._cached(CACHE_SECONDS - RELOAD_AHEAD_SECONDS)

    def ensure(self) -> None:
        """At start-up, never inside a request: creating keys writes, and a request already holds a
        write transaction (on SQLite a second writer would wait on the first)."""
        with self._db.unit_of_work() as session:
            ensure_keys(session, self._envelope)

    def refresh(self) -> None:
        self._loaded = None

    def _for_use(self) -> LoadedKeys:
        """Any set younger than ``CACHE_SECONDS``: one that ``fresh()`` accepted before a hook ran."""
        return self._cached(CACHE_SECONDS) or self.current()

    def signing_key(self, alg: str) -> RSAKey | ECKey:
        return self._for_use().signing[alg]

    def jwks(self) -> dict[str, Any]:
        return self._for_use().public_jwks
