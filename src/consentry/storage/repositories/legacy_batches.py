"""The legacy protocols' part of the token store, set-at-a-time like the rest (``token_batches``):
their tokens read by key, the request tokens they use up, their extras written beside the token
rows, each holder kept to its newest live tokens, and the widget proxy's handles
(domain/legacy/tokens.py)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from sqlalchemy import Connection

from consentry.domain.tokens.records import LegacyRecord
from consentry.domain.tokens.store import LegacyClaim, LegacyToken
from consentry.storage.db import begin_write
from consentry.storage.repositories.token_batches import Done, Pending
from consentry.storage.repositories.token_sql import GADGET_COLUMNS, dialect


def legacy_by_key(conn: Connection, keys: Iterable[str]) -> Pending[dict[str, LegacyRecord]]:
    d = dialect(conn)
    return Pending(conn, d.legacy, (d.keys(keys),), lambda rs: {r[1]: _legacy(r) for r in rs})


def _legacy(r: Sequence[Any]) -> LegacyRecord:
    """Booleans as booleans and the sealed secret as bytes on both engines."""
    sealed = bytes(r[9]) if r[9] is not None else None
    return LegacyRecord._make((*r[:9], sealed, bool(r[10]), *r[11:15], bool(r[15]), *r[16:19], bool(r[19])))


def claim_legacy(conn: Connection, claims: Iterable[LegacyClaim], at: int) -> Done[set[LegacyClaim]]:
    """Use legacy request tokens up; the claims this call won. One statement each: an exchange
    is a person's step in a browser or an app's set-up, never a batch of thousands."""
    d = dialect(conn)
    won = set()
    for claim in sorted(claims, key=lambda c: (c.key, c.protocol, c.approved)):  # a fixed lock order
        begin_write(conn)
        cursor = conn.connection.cursor()
        try:
            cursor.execute(d.claim_legacy[claim.approved], (at, claim.key, claim.protocol, at))
            if cursor.fetchall():
                won.add(claim)
        finally:
            cursor.close()
    return Done(won)


def claim_revoke(conn: Connection, ids: Iterable[int], at: int) -> Pending[set[Any]]:
    """Revoke tokens by id; the ids this call revoked (the others were revoked already)."""
    d = dialect(conn)
    begin_write(conn)
    return Pending(conn, d.claim_revoke, (at, d.keys(ids)), lambda rs: {r[0] for r in rs})


def lock_holders(conn: Connection, user_ids: Iterable[int]) -> set[int]:
    """The users of ``user_ids`` that exist, held until the batch commits (PostgreSQL; SQLite
    serializes writers already)."""
    d = dialect(conn)
    begin_write(conn)
    cursor = conn.connection.cursor()
    try:
        cursor.execute(d.lock_users, (d.keys(user_ids),))
        return {r[0] for r in cursor.fetchall()}
    finally:
        cursor.close()


def write_legacy(conn: Connection, written: Sequence[LegacyToken], at: int) -> None:
    """Each legacy token's extras, beside its row (already inserted); then each holder kept to its
    ``keep`` newest live tokens."""
    if not written:
        return
    d = dialect(conn)
    begin_write(conn)
    cursor = conn.connection.cursor()
    try:
        cursor.executemany(
            d.insert_legacy_credential,
            [
                (t.protocol, t.secret_sealed, t.secure, t.target, t.source, t.row["access_hash"])
                for t in written
            ],
        )
        holders = {
            (t.row["user_id"], t.row["client_pk"], t.row["grant_type"], t.target, t.source, t.keep)
            for t in written
        }
        for user, client, grant, target, source, keep in sorted(holders):
            cursor.execute(d.revoke_oldest_legacy, (at, user, client, grant, at, target, source, keep))
    finally:
        cursor.close()


def insert_gadget_tokens(conn: Connection, rows: Sequence[Mapping[str, Any]]) -> None:
    """Rows naming every one of ``GADGET_COLUMNS``."""
    if not rows:
        return
    begin_write(conn)
    cursor = conn.connection.cursor()
    try:
        cursor.executemany(
            dialect(conn).insert_gadget_token, [tuple(r[k] for k in GADGET_COLUMNS) for r in rows]
        )
    finally:
        cursor.close()
