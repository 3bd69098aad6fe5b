"""Set-at-a-time SQL for the token store: one statement per kind of work per batch, never per request.

These run on the raw DB-API cursor with one fixed statement text per dialect: a set of keys is
passed as a single parameter (a JSON array read by ``json_each`` on SQLite, an array with
``= ANY`` on PostgreSQL), so the driver's statement cache always hits. Measured against the same
queries through SQLAlchemy Core with ``IN`` lists, which re-render per list length: a client
lookup went from ~1 ms to ~60 us (bench/README.md). Column lists come from the table
definitions, so a schema change breaks these loudly rather than silently.

Every statement text is assembled from the constants below and the table definitions, never from
input (values are always bound parameters), hence the file-wide S608 exemption.
"""
# ruff: noqa: S608

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import Any, Generic, TypeVar

from sqlalchemy import Boolean, Connection, Integer, Table, insert

from consentry.domain.clients.snapshot import ClientSnapshot
from consentry.domain.policy.facts import AppFacts
from consentry.domain.tokens.records import AccountRecord, CodeRecord, DeviceRecord, TokenRecord, UserRecord
from consentry.storage.db import begin_write
from consentry.storage.tables import AuthorizationCode, Token

TOKEN_COLUMNS = tuple(c.name for c in Token.__table__.c)
if TokenRecord._fields[: len(TOKEN_COLUMNS)] != TOKEN_COLUMNS:  # pragma: no cover - a schema change
    raise RuntimeError("TokenRecord no longer matches the tokens table: update both together")

T = TypeVar("T")
_USER = "u.id, u.sub, u.email, u.name, u.disabled, u.org_id, g.domain"
_USER_JOIN = "LEFT JOIN organizations g ON g.id = u.org_id"
_CLIENT_SELECT = (
    "SELECT c.id, c.client_id, c.name, c.secret_hash, c.client_type, c.access_token_format, "
    "c.id_token_alg, c.can_introspect, c.disabled, c.project_id, p.name, p.status, c.redirect_uris, "
    "c.jwks, p.user_type, po.domain, p.declared_scopes, p.approved_scopes, p.test_users, "
    "p.suspended_at, p.suspended_reason, p.unverified_users, "
    "(SELECT MAX(sa.letter_date) FROM security_assessments sa WHERE sa.project_id = p.id) "
    "FROM clients c JOIN projects p ON p.id = c.project_id "
    "LEFT JOIN organizations po ON po.id = p.org_id WHERE "
)
_TOKEN_SELECT = (
    "SELECT "
    + ", ".join(f"t.{name}" for name in TOKEN_COLUMNS)
    + ", o.client_id, o.project_id, o.disabled, u.sub, u.email, u.name, u.disabled, g.domain "
    "FROM tokens t JOIN clients o ON o.id = t.client_pk LEFT JOIN users u ON u.id = t.user_id "
    f"{_USER_JOIN} WHERE "
)
_CODE_SELECT = (
    "SELECT c.code_hash, c.client_pk, c.redirect_uri, c.scope, c.nonce, c.code_challenge, "
    f"c.code_challenge_method, c.offline, c.auth_time, c.family, c.expires_at, c.used_at, {_USER}, "
    "c.grant_lapses_at "
    f"FROM authorization_codes c JOIN users u ON u.id = c.user_id {_USER_JOIN} WHERE c.code_hash "
)
_DEVICE_SELECT = (
    "SELECT d.device_code_hash, d.client_pk, o.client_id, d.scope, d.status, d.granted_scope, "
    f"d.interval, d.last_poll_at, d.expires_at, {_USER}, d.refusal FROM device_codes d "
    f"JOIN clients o ON o.id = d.client_pk LEFT JOIN users u ON u.id = d.user_id {_USER_JOIN} "
    "WHERE d.device_code_hash "
)
_ACCOUNT_SELECT = (
    f"SELECT a.session_hash, s.expires_at, a.authenticated_at, {_USER} FROM browser_sessions s "
    "JOIN session_accounts a ON a.session_hash = s.id_hash JOIN users u ON u.id = a.user_id "
    f"{_USER_JOIN} WHERE s.id_hash "
)
_CONSENT_SELECT = (
    "SELECT a.session_hash, c.client_id, g.user_id, g.scopes, g.lapses_at FROM session_accounts a "
    "JOIN consent_grants g ON g.user_id = a.user_id JOIN clients c ON c.id = g.client_pk "
    "WHERE a.session_hash "
)
_NONCE_SELECT = (
    "SELECT c.client_id, a.nonce FROM authorization_codes a JOIN clients c ON c.id = a.client_pk "
    "WHERE a.nonce "
)


def _pg_array(table: Table, column: str) -> str:
    """The PostgreSQL array type for a column, from the table definition."""
    sql_type = table.c[column].type
    if isinstance(sql_type, Boolean):
        return "boolean[]"
    return "bigint[]" if isinstance(sql_type, Integer) else "text[]"


class _Insert:
    """A many-row INSERT for one table: ``executemany`` on SQLite, one ``unnest`` on PostgreSQL."""

    def __init__(self, conn: Connection, table: Table, sqlite: bool) -> None:
        columns = [c.name for c in table.c if not (c.primary_key and isinstance(c.type, Integer))]
        if sqlite:
            compiled = insert(table).compile(dialect=conn.dialect, column_keys=columns)
            self.sql = compiled.string
            self.order = tuple(compiled.positiontup or ())
        else:
            # One statement for the whole batch: a column of values per array (one round trip, one
            # plan), where executemany would execute the INSERT once per row.
            self.order = tuple(columns)
            arrays = ", ".join(f"%s::{_pg_array(table, name)}" for name in self.order)
            # Names and types come from the table definition, never from input.
            self.sql = f"INSERT INTO {table.name} ({', '.join(self.order)}) SELECT * FROM unnest({arrays})"
        self.sqlite = sqlite

    def run(self, conn: Connection, rows: Sequence[Mapping[str, Any]]) -> None:
        if not rows:
            return
        begin_write(conn)
        cursor = conn.connection.cursor()
        try:
            if self.sqlite:
                cursor.executemany(self.sql, [tuple(row[k] for k in self.order) for row in rows])
            else:
                cursor.execute(self.sql, [[row[k] for row in rows] for k in self.order])
        finally:
            cursor.close()


class _Dialect:
    """Statement texts for one driver."""

    def __init__(self, conn: Connection) -> None:
        self.sqlite = conn.dialect.name == "sqlite"
        self.p = p = "?" if self.sqlite else "%s"
        one_of = "IN (SELECT value FROM json_each(?))" if self.sqlite else "= ANY(%s)"
        self.client_by_client_id = _CLIENT_SELECT + "c.client_id " + one_of
        self.client_by_pk = _CLIENT_SELECT + "c.id " + one_of
        self.token_by = {
            "access_token": _TOKEN_SELECT + "t.access_hash " + one_of,
            "refresh_token": _TOKEN_SELECT + "t.refresh_hash " + one_of,
        }
        self.code = _CODE_SELECT + one_of
        self.device = _DEVICE_SELECT + one_of
        self.accounts = _ACCOUNT_SELECT + one_of
        self.consents = _CONSENT_SELECT + one_of + " AND c.client_id " + one_of
        self.nonces = _NONCE_SELECT + one_of
        self.claim_refresh = (
            f"UPDATE tokens SET rotated_at = {p} WHERE rotated_at IS NULL AND revoked_at IS NULL "
            f"AND id {one_of} RETURNING id"
        )
        self.claim_code = (
            f"UPDATE authorization_codes SET used_at = {p} WHERE used_at IS NULL "
            f"AND code_hash {one_of} RETURNING code_hash"
        )
        self.claim_device = (
            f"UPDATE device_codes SET status = 'used' WHERE status = 'approved' "
            f"AND device_code_hash {one_of} RETURNING device_code_hash"
        )
        self.claim_assertion = (
            f"INSERT INTO used_assertions (jti_hash, expires_at) VALUES ({p}, {p}) "
            "ON CONFLICT (jti_hash) DO NOTHING RETURNING jti_hash"
        )
        self.device_poll = (
            f"UPDATE device_codes SET last_poll_at = {p}, interval = {p} WHERE device_code_hash = {p}"
        )
        self.revoke_families = (
            f"UPDATE tokens SET revoked_at = {p} WHERE revoked_at IS NULL AND family {one_of}"
        )
        # Keep the newest N live refresh tokens of one user at one client; the rest are revoked.
        self.revoke_oldest_refresh = (
            f"UPDATE tokens SET revoked_at = {p} WHERE id IN (SELECT id FROM tokens WHERE user_id = {p} "
            f"AND client_pk = {p} AND refresh_hash IS NOT NULL AND revoked_at IS NULL AND rotated_at IS NULL "
            f"AND refresh_expires_at > {p} ORDER BY issued_at DESC, id DESC "
            f"{'LIMIT -1' if self.sqlite else 'LIMIT ALL'} OFFSET {p})"
        )
        self.insert_tokens = _Insert(conn, Token.__table__, self.sqlite)  # type: ignore[arg-type]
        self.insert_codes = _Insert(conn, AuthorizationCode.__table__, self.sqlite)  # type: ignore[arg-type]

    def keys(self, values: Iterable[Any]) -> Any:
        wanted = sorted(set(values))
        return json.dumps(wanted) if self.sqlite else wanted


_dialects: dict[str, _Dialect] = {}


def dialect(conn: Connection) -> _Dialect:
    found = _dialects.get(conn.dialect.name)
    if found is None:
        found = _dialects[conn.dialect.name] = _Dialect(conn)
    return found


class Pending(Generic[T]):
    """A statement already sent; its rows are read (and converted) only when asked.

    On PostgreSQL inside :func:`pipelined`, statements are queued and sent together, so a batch's
    reads cost one round trip instead of one each; the first :meth:`result` sends the queue.
    """

    def __init__(
        self, conn: Connection, sql: str, params: tuple[Any, ...], convert: Callable[[list[Any]], T]
    ):
        self._cursor = conn.connection.cursor()
        self._cursor.execute(sql, params)
        self._convert = convert

    def result(self) -> T:
        try:
            return self._convert(list(self._cursor.fetchall()))
        finally:
            self._cursor.close()


class Done(Generic[T]):
    """A result known without asking the database (nothing to look up)."""

    def __init__(self, value: T) -> None:
        self._value = value

    def result(self) -> T:
        return self._value


@contextmanager
def pipelined(conn: Connection) -> Iterator[bool]:
    """PostgreSQL's pipeline mode for the statements sent inside; nothing on SQLite (in-process)."""
    if conn.dialect.name != "postgresql":
        yield False
        return
    with conn.connection.driver_connection.pipeline():  # type: ignore[union-attr]
        yield True


def _json(value: Any) -> Any:
    """JSON columns: PostgreSQL's driver parses them, SQLite's hands back text."""
    return json.loads(value) if isinstance(value, str) else value


def _user(r: Sequence[Any]) -> UserRecord | None:
    """A user from the seven ``_USER`` columns (None when the LEFT JOIN found no one)."""
    if r[0] is None:
        return None
    return UserRecord(r[0], r[1], r[2], r[3] or "", bool(r[4]), r[5], r[6])


def _client(r: Sequence[Any]) -> ClientSnapshot:
    return ClientSnapshot(
        id=r[0],
        client_id=r[1],
        name=r[2],
        secret_hash=r[3],
        client_type=r[4],
        access_token_format=r[5],
        id_token_alg=r[6],
        can_introspect=bool(r[7]),
        disabled=bool(r[8]),
        project_id=r[9],
        project_name=r[10],
        project_status=r[11],
        redirect_uris=tuple(_json(r[12]) or ()),
        jwks=_json(r[13]),
        app=AppFacts(
            project_id=r[9],
            status=r[11],
            user_type=r[14],
            org_domain=r[15],
            declared=frozenset(_json(r[16]) or ()),
            approved=frozenset(_json(r[17]) or ()),
            test_users=frozenset(e.lower() for e in _json(r[18]) or ()),
            suspended_reason=(r[20] or "") if r[19] is not None else None,
            unverified_users=r[21] or 0,
            assessment_date=r[22],
        ),
    )


_OWNER_DISABLED = TokenRecord._fields.index("owner_disabled")
_USER_DISABLED = TokenRecord._fields.index("user_disabled")


def _token(r: Sequence[Any]) -> TokenRecord:
    """Flags as booleans on both engines (SQLite hands back 0 and 1)."""
    row = list(r)
    row[_OWNER_DISABLED] = bool(row[_OWNER_DISABLED])
    if row[_USER_DISABLED] is not None:
        row[_USER_DISABLED] = bool(row[_USER_DISABLED])
    return TokenRecord._make(row)


# --- reads: each returns a Pending result, so that a batch sends all before it reads any ---------
def clients_by_client_id(conn: Connection, client_ids: Iterable[str]) -> Pending[dict[str, ClientSnapshot]]:
    d = dialect(conn)
    return Pending(
        conn, d.client_by_client_id, (d.keys(client_ids),), lambda rs: {r[1]: _client(r) for r in rs}
    )


def clients_by_pk(conn: Connection, pks: Iterable[int]) -> Pending[dict[int, ClientSnapshot]]:
    d = dialect(conn)
    return Pending(conn, d.client_by_pk, (d.keys(pks),), lambda rs: {r[0]: _client(r) for r in rs})


def tokens_by_hash(conn: Connection, kind: str, hashes: Iterable[str]) -> Pending[dict[str, TokenRecord]]:
    """Token rows by access or refresh hash, with their owner client and user."""
    d = dialect(conn)
    key = TokenRecord._fields.index("access_hash" if kind == "access_token" else "refresh_hash")
    return Pending(conn, d.token_by[kind], (d.keys(hashes),), lambda rs: {r[key]: _token(r) for r in rs})


def _codes(rows: list[Any]) -> dict[str, CodeRecord]:
    out = {}
    for r in rows:
        user = _user(r[12:])
        if user is not None:
            fields = (*r[:2], r[2] or "", r[3] or "", *r[4:7], bool(r[7]), *r[8:12], user, r[19])
            out[r[0]] = CodeRecord._make(fields)
    return out


def codes_by_hash(conn: Connection, hashes: Iterable[str]) -> Pending[dict[str, CodeRecord]]:
    d = dialect(conn)
    return Pending(conn, d.code, (d.keys(hashes),), _codes)


def devices_by_hash(conn: Connection, hashes: Iterable[str]) -> Pending[dict[str, DeviceRecord]]:
    d = dialect(conn)
    return Pending(
        conn,
        d.device,
        (d.keys(hashes),),
        lambda rs: {r[0]: DeviceRecord._make((*r[:9], _user(r[9:16]), r[16])) for r in rs},
    )


def accounts_by_session(
    conn: Connection, hashes: Iterable[str], at: int
) -> Pending[dict[str, list[AccountRecord]]]:
    """Live sessions' enabled accounts, newest sign-in first."""

    def convert(rows: list[Any]) -> dict[str, list[AccountRecord]]:
        out: dict[str, list[AccountRecord]] = {}
        for r in rows:
            user = _user(r[3:])
            if r[1] > at and user is not None and not user.disabled:
                out.setdefault(r[0], []).append(AccountRecord(user, r[2]))
        for accounts in out.values():
            accounts.sort(key=lambda a: -a.authenticated_at)
        return out

    d = dialect(conn)
    return Pending(conn, d.accounts, (d.keys(hashes),), convert)


def consents_by_session(
    conn: Connection, hashes: Iterable[str], client_ids: Iterable[str], at: int
) -> Pending[dict[tuple[str, str], dict[int, tuple[frozenset[str], int | None]]]]:
    """(session, client_id) -> each signed-in user's granted scopes for that client, with the time
    the grant lapses (None: never); grants lapsed at ``at`` are left out."""

    def convert(rows: list[Any]) -> dict[tuple[str, str], dict[int, tuple[frozenset[str], int | None]]]:
        out: dict[tuple[str, str], dict[int, tuple[frozenset[str], int | None]]] = {}
        for session_hash, client_id, user_id, scopes, lapses_at in rows:
            if lapses_at is not None and lapses_at <= at:
                continue
            grant = (frozenset(_json(scopes) or ()), lapses_at)
            out.setdefault((session_hash, client_id), {})[user_id] = grant
        return out

    d = dialect(conn)
    return Pending(conn, d.consents, (d.keys(hashes), d.keys(client_ids)), convert)


def used_nonces(conn: Connection, nonces: Iterable[str]) -> Pending[set[tuple[str, str]]]:
    """(client_id, nonce) pairs some authorization code already carried."""
    d = dialect(conn)
    return Pending(conn, d.nonces, (d.keys(nonces),), lambda rs: {(r[0], r[1]) for r in rs})


# --- writes ---------------------------------------------------------------------------------
def _returning(conn: Connection, sql: str, *params: Any) -> Pending[set[Any]]:
    begin_write(conn)
    return Pending(conn, sql, params, lambda rs: {r[0] for r in rs})


def claim_refresh(conn: Connection, ids: Iterable[int], at: int) -> Pending[set[Any]]:
    """Mark refresh tokens rotated; the ids this call claimed (others were used already)."""
    d = dialect(conn)
    return _returning(conn, d.claim_refresh, at, d.keys(ids))


def claim_codes(conn: Connection, hashes: Iterable[str], at: int) -> Pending[set[Any]]:
    d = dialect(conn)
    return _returning(conn, d.claim_code, at, d.keys(hashes))


def claim_devices(conn: Connection, hashes: Iterable[str]) -> Pending[set[Any]]:
    d = dialect(conn)
    return _returning(conn, d.claim_device, d.keys(hashes))


def claim_assertion(conn: Connection, jti_hash: str, expires_at: int) -> Pending[set[Any]]:
    """The jti recorded: a one-element set if this call recorded it, empty if it was seen before."""
    return _returning(conn, dialect(conn).claim_assertion, jti_hash, expires_at)


def record_polls(conn: Connection, polls: Sequence[tuple[int, int, str]]) -> None:
    """(polled_at, interval, device_code_hash) per device poll."""
    if not polls:
        return
    begin_write(conn)
    cursor = conn.connection.cursor()
    try:
        cursor.executemany(dialect(conn).device_poll, list(polls))
    finally:
        cursor.close()


def revoke_families(conn: Connection, families: Iterable[str], at: int) -> None:
    wanted = list(families)
    if not wanted:
        return
    d = dialect(conn)
    begin_write(conn)
    cursor = conn.connection.cursor()
    try:
        cursor.execute(d.revoke_families, (at, d.keys(wanted)))
    finally:
        cursor.close()


def revoke_oldest_refresh(conn: Connection, holders: Iterable[tuple[int, int]], keep: int, at: int) -> None:
    """Past ``keep`` live refresh tokens per (user, client), the oldest are revoked (the reference
    platform's limit; an app that asks for a new grant on every sign-in loses its oldest ones)."""
    wanted = sorted(set(holders))
    if not wanted:
        return
    d = dialect(conn)
    cursor = conn.connection.cursor()
    try:
        for user_id, client_pk in wanted:
            cursor.execute(d.revoke_oldest_refresh, (at, user_id, client_pk, at, keep))
    finally:
        cursor.close()


def insert_tokens(conn: Connection, rows: Sequence[Mapping[str, Any]]) -> None:
    dialect(conn).insert_tokens.run(conn, rows)


def insert_codes(conn: Connection, rows: Sequence[Mapping[str, Any]]) -> None:
    dialect(conn).insert_codes.run(conn, rows)
