"""Set-at-a-time SQL for the token lane: one statement per kind of work per batch, never per request.

These run on the raw DB-API cursor with one fixed statement text per dialect: a set of keys is
passed as a single parameter (a JSON array read by ``json_each`` on SQLite, an array with
``= ANY`` on PostgreSQL), so the driver's statement cache always hits. Measured against the same
queries through SQLAlchemy Core with ``IN`` lists, which re-render per list length: a client
lookup went from ~1 ms to ~60 us (bench/README.md). Column lists come from the table
definitions, so a schema change breaks these loudly rather than silently.
"""

from __future__ import annotations

import json
from collections import namedtuple
from collections.abc import Iterable, Mapping, Sequence
from typing import Any, NamedTuple

from sqlalchemy import Connection, Integer, insert

from consentry.storage.db import begin_write
from consentry.storage.tables import Token

TOKEN_COLUMNS = tuple(c.name for c in Token.__table__.c)
TOKEN_FIELDS = (
    *TOKEN_COLUMNS,
    "owner_client_id",
    "owner_project_id",
    "user_sub",
    "user_email",
    "user_disabled",
)
#: A token with its owner client and user; the same shape whichever path read it.
TokenRow: Any = namedtuple("TokenRow", TOKEN_FIELDS)  # type: ignore[misc]


class ClientRow(NamedTuple):
    """A client as the lane reads it (no redirect URIs or JWKS: the lane never needs them)."""

    id: int
    client_id: str
    secret_hash: str | None
    client_type: str
    access_token_format: str
    id_token_alg: str
    can_introspect: bool
    disabled: bool
    project_id: int
    project_status: str


_CLIENT_SELECT = (
    "SELECT c.id, c.client_id, c.secret_hash, c.client_type, c.access_token_format, c.id_token_alg, "
    "c.can_introspect, c.disabled, c.project_id, p.status "
    "FROM clients c JOIN projects p ON p.id = c.project_id WHERE "
)
_TOKEN_SELECT = (
    "SELECT "
    + ", ".join(f"t.{name}" for name in TOKEN_COLUMNS)
    + ", o.client_id, o.project_id, u.sub, u.email, u.disabled "
    "FROM tokens t JOIN clients o ON o.id = t.client_pk LEFT JOIN users u ON u.id = t.user_id WHERE "
)
_CLAIM = "UPDATE tokens SET rotated_at = {p} WHERE rotated_at IS NULL AND revoked_at IS NULL AND id "


def _pg_array(column: str) -> str:
    """The PostgreSQL array type for a tokens column, from the table definition."""
    sql_type = Token.__table__.c[column].type
    return "bigint[]" if isinstance(sql_type, Integer) else "text[]"


class _Dialect:
    """Statement texts for one driver."""

    def __init__(self, conn: Connection) -> None:
        self.sqlite = conn.dialect.name == "sqlite"
        p = "?" if self.sqlite else "%s"
        one_of = "IN (SELECT value FROM json_each(?))" if self.sqlite else "= ANY(%s)"
        self.client_by_client_id = _CLIENT_SELECT + "c.client_id " + one_of
        self.client_by_pk = _CLIENT_SELECT + "c.id " + one_of
        self.token_by = {
            "access_token": _TOKEN_SELECT + "t.access_hash " + one_of,
            "refresh_token": _TOKEN_SELECT + "t.refresh_hash " + one_of,
        }
        self.claim = _CLAIM.format(p=p) + one_of + " RETURNING id"
        if self.sqlite:
            compiled = insert(Token).compile(dialect=conn.dialect, column_keys=list(TOKEN_COLUMNS[1:]))
            self.insert = compiled.string
            self.insert_order = tuple(compiled.positiontup or ())
        else:
            # One statement for the whole batch: a column of values per array (one round trip, one
            # plan), where executemany would execute the INSERT once per row.
            self.insert_order = TOKEN_COLUMNS[1:]
            arrays = ", ".join(f"%s::{_pg_array(name)}" for name in self.insert_order)
            columns = ", ".join(self.insert_order)
            # Names and types come from the table definition, never from input.
            self.insert = f"INSERT INTO tokens ({columns}) SELECT * FROM unnest({arrays})"  # noqa: S608

    def keys(self, values: Iterable[Any]) -> Any:
        wanted = sorted(set(values))
        return json.dumps(wanted) if self.sqlite else wanted


_dialects: dict[str, _Dialect] = {}


def _dialect(conn: Connection) -> _Dialect:
    found = _dialects.get(conn.dialect.name)
    if found is None:
        found = _dialects[conn.dialect.name] = _Dialect(conn)
    return found


def _fetch(conn: Connection, sql: str, param: Any) -> list[tuple[Any, ...]]:
    cursor = conn.connection.cursor()
    try:
        cursor.execute(sql, (param,))
        return list(cursor.fetchall())
    finally:
        cursor.close()


def clients_by_client_id(conn: Connection, client_ids: Iterable[str]) -> dict[str, ClientRow]:
    d = _dialect(conn)
    rows = [ClientRow(*r) for r in _fetch(conn, d.client_by_client_id, d.keys(client_ids))]
    return {row.client_id: row for row in rows}


def clients_by_pk(conn: Connection, pks: Iterable[int]) -> dict[int, ClientRow]:
    d = _dialect(conn)
    return {row.id: row for row in (ClientRow(*r) for r in _fetch(conn, d.client_by_pk, d.keys(pks)))}


def tokens_by_hash(conn: Connection, kind: str, hashes: Iterable[str]) -> dict[str, Any]:
    """Token rows by access or refresh hash, with their owner client and user."""
    d = _dialect(conn)
    key = "access_hash" if kind == "access_token" else "refresh_hash"
    rows = [TokenRow(*r) for r in _fetch(conn, d.token_by[kind], d.keys(hashes))]
    return {getattr(row, key): row for row in rows}


def claim_refresh(conn: Connection, ids: Iterable[int], at: int) -> set[int]:
    """Mark refresh tokens rotated; returns the ids this call claimed (others were used already)."""
    wanted = list(ids)
    if not wanted:
        return set()
    d = _dialect(conn)
    begin_write(conn)
    cursor = conn.connection.cursor()
    try:
        cursor.execute(d.claim, (at, d.keys(wanted)))
        return {r[0] for r in cursor.fetchall()}
    finally:
        cursor.close()


def insert_tokens(conn: Connection, rows: Sequence[Mapping[str, Any]]) -> None:
    if not rows:
        return
    d = _dialect(conn)
    begin_write(conn)
    cursor = conn.connection.cursor()
    try:
        if d.sqlite:
            cursor.executemany(d.insert, [tuple(row[k] for k in d.insert_order) for row in rows])
        else:
            cursor.execute(d.insert, [[row[k] for row in rows] for k in d.insert_order])
    finally:
        cursor.close()
