"""Audit chain and signing-key rotation."""

import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from typing import Any

import pytest
from sqlalchemy import func, select

from consentry.domain import audit
from consentry.domain.audit import record, verify_chain
from consentry.domain.keys.envelope import Envelope
from consentry.domain.keys.manager import (
    CACHE_SECONDS,
    RELOAD_AHEAD_SECONDS,
    SETTLE_SECONDS,
    LoadedKeys,
    rotate,
)
from consentry.storage.db import Database, DatabaseForbidden, database_forbidden
from consentry.storage.repositories.token_batches import append_audit
from consentry.storage.tables import AuditEvent, SigningKey
from tests.conftest import SECRET


def test_audit_chain_detects_tampering(seed):
    with seed.db.unit_of_work() as s:
        record(s, "test:thing:create", actor="a@example.org", data={"n": 1})
        record(s, "test:thing:delete", actor="a@example.org", data={"n": 2})
    with seed.db.unit_of_work() as s:
        assert verify_chain(s)
        first = s.scalars(select(AuditEvent).order_by(AuditEvent.id)).first()
        first.data = {"n": 99}
    with seed.db.unit_of_work() as s:
        assert not verify_chain(s)


def test_rotation_keeps_old_keys_published_and_signs_with_new(seed, client, app):  # SEC-4
    before = {k["kid"] for k in client.get("/jwks").json()["keys"]}
    with seed.db.unit_of_work() as s:
        new = rotate(s, Envelope(SECRET))
        stored = list(s.scalars(select(SigningKey)))
    assert all(b"PRIVATE" not in row.private_blob and b'"d"' not in row.private_blob for row in stored)
    keys = app.state.runtime.ctx.keys
    keys.refresh()
    after = {k["kid"] for k in client.get("/jwks").json()["keys"]}
    assert before < after and set(new) <= after
    # New keys sign only once every process's cached /jwks surely publishes them.
    assert {keys.signing_key(a).kid for a in ("RS256", "ES256")} == before
    with seed.db.unit_of_work() as s:
        for row in s.scalars(select(SigningKey).where(SigningKey.kid.in_(new))):
            row.created_at -= SETTLE_SECONDS + 1
    keys.refresh()
    assert {keys.signing_key(a).kid for a in ("RS256", "ES256")} == set(new)


def test_appenders_in_separate_processes_keep_one_linear_chain(seed, monkeypatch):
    """Two writers, each with its own engine (so neither process's own write lock helps), append
    at once through both paths: the ORM's ``record`` and the token store's batched ``append_audit``.
    Each appender pauses between reading the last link and writing the next one, which without
    the append lock made both chain to the same link."""
    slow_entry = audit.entry

    def entry(*args: Any, **kwargs: Any) -> dict[str, Any]:
        time.sleep(0.01)
        return slow_entry(*args, **kwargs)

    monkeypatch.setattr(audit, "entry", entry)
    processes = [Database(seed.settings.database_url) for _ in range(2)]

    def with_orm(db: Database, n: int) -> None:
        for i in range(4):
            with db.unit_of_work() as s:
                record(s, "test:thing:create", data={"writer": n, "i": i})

    def batched(db: Database, n: int) -> None:
        for i in range(4):
            with db.engine.connect() as conn, conn.begin():
                append_audit(conn, [("test:thing:update", "", {"writer": n, "i": i})], "system")

    try:
        with ThreadPoolExecutor(4) as pool:
            done = [pool.submit(way, db, n) for n, db in enumerate(processes) for way in (with_orm, batched)]
            for future in done:
                future.result()
        with seed.db.unit_of_work() as s:
            assert s.scalar(select(func.count()).select_from(AuditEvent)) == 16
            assert verify_chain(s)
    finally:
        for db in processes:
            db.engine.dispose()


def _aged(loaded: LoadedKeys, seconds: float) -> LoadedKeys:
    return replace(loaded, loaded_at=time.monotonic() - seconds)


def test_a_key_set_the_prefetch_accepted_signs_in_a_hook_without_the_database(app):  # issue 10
    """A bench run once got a 500: the cache expired between the prefetch's check and the ID
    token's signing, and the hook reloaded the keys where the database is forbidden."""
    keys = app.state.runtime.ctx.keys
    loaded = keys.current()
    # Near its expiry the prefetch (``fresh()`` is None) reloads it in a thread before Authlib runs.
    keys._loaded = _aged(loaded, CACHE_SECONDS - RELOAD_AHEAD_SECONDS + 0.5)
    assert keys.fresh() is None
    reloaded = keys.current()
    assert reloaded.loaded_at > time.monotonic() - 1 and keys.fresh() is reloaded
    # A set accepted a moment before that signs in a hook however close to expiry it has come.
    keys._loaded = accepted = _aged(loaded, CACHE_SECONDS - 0.5)
    with database_forbidden():
        assert keys.signing_key("RS256") is accepted.signing["RS256"]
        assert keys.jwks() is accepted.public_jwks
    # An expired one is reloaded, which a hook may not do: the prefetch's check is what keeps it out.
    keys._loaded = _aged(loaded, CACHE_SECONDS + 0.5)
    with database_forbidden(), pytest.raises(DatabaseForbidden):
        keys.signing_key("RS256")
    assert keys.signing_key("RS256").kid == loaded.signing["RS256"].kid
