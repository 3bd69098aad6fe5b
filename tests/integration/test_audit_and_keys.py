"""Audit chain and signing-key rotation."""

from sqlalchemy import select

from consentry.domain.audit import record, verify_chain
from consentry.domain.keys.envelope import Envelope
from consentry.domain.keys.manager import SETTLE_SECONDS, rotate
from consentry.storage.tables import AuditEvent, SigningKey
from tests.conftest import SECRET


def test_audit_chain_detects_tampering(seed):
    with seed.db.unit_of_work() as s:
        record(s, "test:thing:create", actor="a@example.org", data={"n": 1})
        record(s, "test:thing:delete", actor="a@example.org", data={"n": 2})
    with seed.db.unit_of_work() as s:
        assert verify_chain(s)
        first = s.scalars(select(AuditEvent).order_by(AuditEvent.id)).first()
        first.data = {"n": 99}  # type: ignore[union-attr]
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
