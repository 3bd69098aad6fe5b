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

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any, Generic, TypeVar

from sqlalchemy import Connection

from consentry.domain import audit
from consentry.domain.clients.snapshot import ClientSnapshot
from consentry.domain.orgs.policy_facts import member_policy
from consentry.domain.policy.facts import AppFacts, OrgPolicy
from consentry.domain.tokens.records import AccountRecord, CodeRecord, DeviceRecord, TokenRecord, UserRecord
from consentry.storage.db import AUDIT_APPEND_LOCK, begin_write
from consentry.storage.repositories.token_sql import dialect

T = TypeVar("T")


class Pending(Generic[T]):
    """A statement already sent; its rows are read (and converted) only when asked.

    On PostgreSQL in pipeline mode (``write_modes.pipelined``), statements are queued and sent
    together, so a batch's reads cost one round trip instead of one each; the first
    :meth:`result` sends the queue.
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


def json_value(value: Any) -> Any:
    """JSON columns: PostgreSQL's driver parses them, SQLite's hands back text."""
    return json.loads(value) if isinstance(value, str) else value


def user_record(r: Sequence[Any]) -> UserRecord | None:
    """A user from the seven ``_USER`` columns (None when the LEFT JOIN found no one)."""
    if r[0] is None:
        return None
    return UserRecord(r[0], r[1], r[2], r[3] or "", bool(r[4]), r[5], r[6])


def client_snapshot(r: Sequence[Any]) -> ClientSnapshot:
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
        redirect_uris=tuple(json_value(r[12]) or ()),
        jwks=json_value(r[13]),
        app=_facts(r),
    )


def _facts(r: Sequence[Any]) -> AppFacts:
    """The project's policy facts; a fingerprint check's narrower row carries only the first two."""
    suspended = None if r[15] is None else (r[20] or "") if len(r) > 16 else ""
    if len(r) <= 16:
        return AppFacts(project_id=r[9], status=r[11], user_type=r[14], suspended_reason=suspended)
    return AppFacts(
        project_id=r[9],
        status=r[11],
        user_type=r[14],
        suspended_reason=suspended,
        org_domain=r[16],
        declared=frozenset(json_value(r[17]) or ()),
        approved=frozenset(json_value(r[18]) or ()),
        test_users=frozenset(e.lower() for e in json_value(r[19]) or ()),
        unverified_users=r[21] or 0,
        assessment_date=r[22],
        # A name, logo or domain changed since the last approval needs a new review (VERIFY-3).
        brand_reviewed=r[23] is None or (r[24] is not None and r[23] <= r[24]),
        app_name=r[25] or "",
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
        conn, d.client_by_client_id, (d.keys(client_ids),), lambda rs: {r[1]: client_snapshot(r) for r in rs}
    )


def clients_by_pk(conn: Connection, pks: Iterable[int]) -> Pending[dict[int, ClientSnapshot]]:
    d = dialect(conn)
    return Pending(conn, d.client_by_pk, (d.keys(pks),), lambda rs: {r[0]: client_snapshot(r) for r in rs})


def tokens_by_hash(conn: Connection, kind: str, hashes: Iterable[str]) -> Pending[dict[str, TokenRecord]]:
    """Token rows by access or refresh hash, with their owner client and user."""
    d = dialect(conn)
    key = TokenRecord._fields.index("access_hash" if kind == "access_token" else "refresh_hash")
    return Pending(conn, d.token_by[kind], (d.keys(hashes),), lambda rs: {r[key]: _token(r) for r in rs})


def _codes(rows: list[Any]) -> dict[str, CodeRecord]:
    out = {}
    for r in rows:
        user = user_record(r[12:])
        if user is not None:
            fields = (*r[:2], r[2] or "", r[3] or "", *r[4:7], bool(r[7]), *r[8:12], user, r[19], r[20])
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
        lambda rs: {r[0]: DeviceRecord._make((*r[:9], user_record(r[9:16]), r[16])) for r in rs},
    )


def accounts_by_session(
    conn: Connection, hashes: Iterable[str], at: int
) -> Pending[dict[str, list[AccountRecord]]]:
    """Live sessions' enabled accounts, newest sign-in first."""

    def convert(rows: list[Any]) -> dict[str, list[AccountRecord]]:
        out: dict[str, list[AccountRecord]] = {}
        for r in rows:
            user = user_record(r[4:])
            if r[1] > at and user is not None and not user.disabled:
                out.setdefault(r[0], []).append(AccountRecord(user, r[2], r[3] or "pwd"))
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
            grant = (frozenset(json_value(scopes) or ()), lapses_at)
            out.setdefault((session_hash, client_id), {})[user_id] = grant
        return out

    d = dialect(conn)
    return Pending(conn, d.consents, (d.keys(hashes), d.keys(client_ids)), convert)


def org_rules_by_session(
    conn: Connection, hashes: Iterable[str], client_ids: Iterable[str]
) -> Pending[dict[tuple[str, str], dict[int, OrgPolicy]]]:
    """(session, client_id) -> each signed-in member's organization rules for that client's app."""

    def convert(rows: list[Any]) -> dict[tuple[str, str], dict[int, OrgPolicy]]:
        out: dict[tuple[str, str], dict[int, OrgPolicy]] = {}
        for session_hash, client_id, user_id, *r in rows:
            out.setdefault((session_hash, client_id), {})[user_id] = member_policy(
                unconfigured=r[0],
                restricted_apis=json_value(r[1]),
                message=r[2],
                internal_approval=bool(r[3]),
                access=r[4],
                installed=bool(r[5]),
                access_changed_at=r[6],
                approved_at=r[7],
            )
        return out

    d = dialect(conn)
    return Pending(conn, d.org_rules, (d.keys(client_ids), d.keys(hashes)), convert)


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


def claim_flows(conn: Connection, id_hashes: Iterable[str]) -> Pending[set[Any]]:
    """Remove paused authorization requests; the id hashes this call removed (others were gone)."""
    d = dialect(conn)
    return _returning(conn, d.claim_flows, d.keys(id_hashes))


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


def _write_set(conn: Connection, statement: str, keys: Iterable[Any], *before: Any) -> None:
    """One write over a set of keys (the statement's last parameter); nothing when there are none."""
    wanted = list(keys)
    if not wanted:
        return
    begin_write(conn)
    cursor = conn.connection.cursor()
    try:
        cursor.execute(statement, (*before, dialect(conn).keys(wanted)))
    finally:
        cursor.close()


def revoke_families(conn: Connection, families: Iterable[str], at: int) -> None:
    _write_set(conn, dialect(conn).revoke_families, families, at)


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


def mint_reading_clients(
    conn: Connection, pks: Iterable[int], rows: Sequence[Mapping[str, Any]]
) -> Pending[dict[int, ClientSnapshot]]:
    """PostgreSQL, one statement: the clients ``pks`` as they are now (as :func:`clients_by_pk`),
    and ``rows`` written, those of clients that no longer exist left out."""
    d = dialect(conn)
    if d.mint_reading_clients is None:
        raise RuntimeError("mint_reading_clients is PostgreSQL's (SQLite runs its batch on the loop)")
    return Pending(
        conn,
        d.mint_reading_clients,
        (d.keys(pks), d.insert_tokens.document(rows)),
        lambda rs: {r[0]: client_snapshot(r) for r in rs},
    )


def delete_tokens(conn: Connection, access_hashes: Iterable[str]) -> None:
    _write_set(conn, dialect(conn).delete_tokens, access_hashes)


def insert_codes(conn: Connection, rows: Sequence[Mapping[str, Any]]) -> None:
    dialect(conn).insert_codes.run(conn, rows)


def insert_device_codes(conn: Connection, rows: Sequence[Mapping[str, Any]]) -> None:
    dialect(conn).insert_devices.run(conn, rows)


def append_audit(conn: Connection, events: Sequence[tuple[str, str, dict[str, Any]]], channel: str) -> None:
    """(tag, actor, data) events appended to the hash-chained audit log, in order."""
    if not events:
        return
    d = dialect(conn)
    begin_write(conn)  # SQLite: the process's write turn, before the lock below (raw cursor)
    lock = conn.connection.cursor()
    lock.execute(AUDIT_APPEND_LOCK[conn.dialect.name])
    lock.close()
    previous = Pending(conn, d.last_chain, (), lambda rs: str(rs[0][0]) if rs else "").result()
    rows = []
    for tag, actor, data in events:
        row = audit.entry(previous, tag, actor=actor, data=data, channel=channel)
        rows.append(row)
        previous = row["chain"]
    d.insert_audit.run(conn, rows)
