"""Client-credentials batches on PostgreSQL: requests that only mint tokens for the client they
relied on, written as one statement in autocommit; and the client re-check every batch shares."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import Connection

from consentry.domain.clients.snapshot import ClientSnapshot
from consentry.domain.tokens.store import Changes, Outcome
from consentry.storage.repositories import token_batches as sql


def unchanged_clients(items: Sequence[Changes], current: dict[int, ClientSnapshot]) -> list[Outcome]:
    """COMMITTED for each request whose client snapshot still matches the client as it is now
    (``current``, by id), else CLIENT_CHANGED. A fingerprint is compared once per snapshot."""
    outcomes = [Outcome.COMMITTED] * len(items)
    unchanged: dict[int, bool] = {}  # id() of a snapshot, alive in ``items`` for the whole batch
    for n, c in enumerate(items):
        snapshot = c.client
        if snapshot is None:
            continue
        same = unchanged.get(id(snapshot))
        if same is None:
            seen = current.get(snapshot.id)
            same = unchanged[id(snapshot)] = seen is not None and seen.fingerprint == snapshot.fingerprint
        if not same:
            outcomes[n] = Outcome.CLIENT_CHANGED
    return outcomes


def mints_only(items: Sequence[Changes]) -> bool:
    """Whether every request only mints tokens for the client it relied on: nothing to claim first,
    no other rows, no user's refresh token (which may retire the oldest beyond the limit). Such a
    batch (client credentials') is one statement on PostgreSQL (:func:`mint_at_once`)."""
    for c in items:
        if c.client is None or c.besides_tokens():
            return False
        pk = c.client.id
        for row in c.tokens:
            if row.get("client_pk") != pk or (row.get("refresh_hash") and row.get("user_id") is not None):
                return False
    return True


def mint_at_once(conn: Connection, items: Sequence[Changes]) -> list[Outcome]:
    """A :func:`mints_only` batch in autocommit, as one statement: its clients re-read and its tokens
    written together, so the batch is one round trip and the database's commit its own.

    The tokens are written before their clients are compared, so those of a request whose client
    changed meanwhile are deleted again, and it is refused (CLIENT_CHANGED) as on the other path.
    No one holds those tokens: a crash before the delete leaves rows no request was answered
    with, which expire like any other. Those of a client deleted meanwhile are never written.
    Measured against the pipelined transaction (BEGIN, re-check, INSERT, COMMIT): a third of the
    client CPU and three quarters of PostgreSQL's per batch, ~8% less server and database CPU per
    client-credentials token (``bench/ab_cpu.py --backend postgres``)."""
    rows = [row for c in items for row in c.tokens]
    pks = {c.client.id for c in items if c.client is not None}
    outcomes = unchanged_clients(items, sql.mint_reading_clients(conn, pks, rows).result())
    sql.delete_tokens(
        conn,
        (
            row["access_hash"]
            for c, outcome in zip(items, outcomes, strict=True)
            if outcome is Outcome.CLIENT_CHANGED
            for row in c.tokens
        ),
    )
    return outcomes
