"""Token reads and writes for the token lane, batched through two group-commit threads.

Reads (a client and a presented token) and writes (new token rows, a refresh-token claim) are
set-at-a-time statements shared by every request in a batch. A write re-reads its client inside
the committing transaction, so a cached client snapshot that went stale refuses the write
instead of minting a token for a client that was disabled or had its secret rotated.
"""

from __future__ import annotations

import enum
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, text

from consentry.domain.clients.cache import ClientSnapshot
from consentry.storage import unstorable
from consentry.storage.db import Database
from consentry.storage.group_commit import GroupCommit
from consentry.storage.repositories import token_batches as sql
from consentry.storage.tables.base import now


class Outcome(enum.Enum):
    COMMITTED = "committed"
    #: The client changed since its snapshot was taken: nothing was written.
    CLIENT_CHANGED = "client_changed"
    #: The refresh token was rotated by someone else first: nothing was written.
    REUSED = "reused"


@dataclass(frozen=True, slots=True)
class Prefetch:
    client_id: str | None
    token_hash: str | None
    kinds: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Prefetched:
    client: ClientSnapshot | None
    tokens: dict[str, Any]


@dataclass(frozen=True, slots=True)
class Write:
    client: ClientSnapshot
    rows: Sequence[dict[str, Any]]
    claim_id: int | None


def read_batch(conn: Connection, items: Sequence[Prefetch]) -> list[Prefetched]:
    clients = sql.clients_by_client_id(conn, (i.client_id for i in items if i.client_id))
    found: dict[str, dict[str, Any]] = {}
    for kind in ("access_token", "refresh_token"):
        wanted = {i.token_hash for i in items if i.token_hash and kind in i.kinds}
        if wanted:
            found[kind] = sql.tokens_by_hash(conn, kind, wanted)
    out = []
    for item in items:
        row = clients.get(item.client_id) if item.client_id else None
        tokens = {}
        if item.token_hash:
            for kind in item.kinds:
                hit = found.get(kind, {}).get(item.token_hash)
                if hit is not None:
                    tokens[kind] = hit
        out.append(Prefetched(ClientSnapshot.of(row) if row is not None else None, tokens))
    return out


def write_batch(conn: Connection, items: Sequence[Write]) -> list[Outcome]:
    current = sql.clients_by_pk(conn, (w.client.id for w in items))
    now_seen = {pk: ClientSnapshot.of(row).fingerprint for pk, row in current.items()}
    outcomes = [
        Outcome.COMMITTED if now_seen.get(w.client.id) == w.client.fingerprint else Outcome.CLIENT_CHANGED
        for w in items
    ]
    wanted = [
        w.claim_id for w, o in zip(items, outcomes, strict=True) if o is Outcome.COMMITTED and w.claim_id
    ]
    claimed = sql.claim_refresh(conn, wanted, now())
    rows: list[dict[str, Any]] = []
    for n, w in enumerate(items):
        if outcomes[n] is not Outcome.COMMITTED:
            continue
        if w.claim_id is not None:
            if w.claim_id not in claimed:
                outcomes[n] = Outcome.REUSED
                continue
            claimed.discard(w.claim_id)  # the same token twice in one batch: the second is reuse
        rows.extend(w.rows)
    sql.insert_tokens(conn, rows)
    return outcomes


def _autocommit(conn: Connection) -> None:
    """Reads need no transaction: on PostgreSQL that saves the BEGIN and COMMIT round trips."""
    conn.execution_options(isolation_level="AUTOCOMMIT")


def _durable_sqlite(conn: Connection) -> None:
    """Tokens are acknowledged only once on disk: fsync at every (group) commit."""
    if conn.dialect.name == "sqlite":
        conn.execute(text("PRAGMA synchronous=FULL"))


class TokenGroupStore:
    def __init__(self, db: Database) -> None:
        # SQLite work is CPU in this process: run it on the loop, only the fsync in a thread.
        # PostgreSQL work is round trips to another process: the loop must not wait on them.
        networked = db.engine.dialect.name != "sqlite"
        self.reader: GroupCommit[Prefetch, Prefetched] = GroupCommit(
            db.engine,
            read_batch,
            name="consentry-token-reader",
            on_connect=_autocommit,
            batch_in_thread=networked,
        )
        self.writer: GroupCommit[Write, Outcome] = GroupCommit(
            db.engine,
            write_batch,
            name="consentry-token-writer",
            on_connect=_durable_sqlite,
            commit_in_thread=True,
            batch_in_thread=networked,
        )

    async def prefetch(
        self, client_id: str | None, token_hash: str | None, kinds: tuple[str, ...]
    ) -> Prefetched:
        # Batched reads run on a raw cursor, past the engine's check: refuse here what no column holds,
        # or one caller's NUL would fail the whole batch it shares with others.
        unstorable.check(client_id)
        return await self.reader.submit(Prefetch(client_id, token_hash, kinds))

    async def commit(
        self, client: ClientSnapshot, rows: Sequence[dict[str, Any]], claim_id: int | None
    ) -> Outcome:
        return await self.writer.submit(Write(client, rows, claim_id))

    def close(self) -> None:
        self.reader.close()
        self.writer.close()
