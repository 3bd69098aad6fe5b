"""The statement texts of the token store's set-at-a-time SQL, one set per driver.

A set of keys is always one parameter (a JSON array read by ``json_each`` on SQLite, an array with
``= ANY`` on PostgreSQL), so each text is fixed and the driver's statement cache always hits.
Every text is assembled from the constants below and the table definitions, never from input
(values are always bound parameters), hence the file-wide S608 exemption.
"""
# ruff: noqa: S608

from __future__ import annotations

import json
import operator
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

from sqlalchemy import JSON, Connection, Integer, Table, insert

from consentry.domain.tokens.records import TokenRecord
from consentry.storage.db import begin_write
from consentry.storage.tables import AuditEvent, AuthorizationCode, DeviceCode, Token

TOKEN_COLUMNS = tuple(c.name for c in Token.__table__.c)
if TokenRecord._fields[: len(TOKEN_COLUMNS)] != TOKEN_COLUMNS:  # pragma: no cover - a schema change
    raise RuntimeError("TokenRecord no longer matches the tokens table: update both together")

_USER = "u.id, u.sub, u.email, u.name, u.disabled, u.org_id, g.domain"
_USER_JOIN = "LEFT JOIN organizations g ON g.id = u.org_id"
_CLIENT_BASE = (
    "SELECT c.id, c.client_id, c.name, c.secret_hash, c.client_type, c.access_token_format, "
    "c.id_token_alg, c.can_introspect, c.disabled, c.project_id, p.name, p.status, c.redirect_uris, "
    "c.jwks, p.user_type, p.suspended_at"
)
#: A client with its project's policy facts (domain/policy/facts.py), for a request to decide on.
_CLIENT_SELECT = (
    _CLIENT_BASE + ", po.domain, p.declared_scopes, p.approved_scopes, p.test_users, "
    "p.suspended_reason, p.unverified_users, "
    "(SELECT MAX(sa.letter_date) FROM security_assessments sa WHERE sa.project_id = p.id), "
    "p.brand_changed_at, (SELECT MAX(v.decided_at) FROM verification_requests v "
    "WHERE v.project_id = p.id AND v.state = 'approved'), p.app_name "
    "FROM clients c JOIN projects p ON p.id = c.project_id "
    "LEFT JOIN organizations po ON po.id = p.org_id WHERE "
)
#: Only what a snapshot's fingerprint covers: read again in every committing batch, so it stays
#: as cheap as the lookup it guards (the fuller policy facts would cost a quarter of the
#: client-credentials throughput on PostgreSQL, measured in bench/run).
_CLIENT_CHECK = _CLIENT_BASE + " FROM clients c JOIN projects p ON p.id = c.project_id WHERE "
_TOKEN_SELECT = (
    "SELECT "
    + ", ".join(f"t.{name}" for name in TOKEN_COLUMNS)
    + ", o.client_id, o.project_id, o.disabled, u.sub, u.email, u.name, u.disabled, g.domain "
    "FROM tokens t JOIN clients o ON o.id = t.client_pk LEFT JOIN users u ON u.id = t.user_id "
    f"{_USER_JOIN} WHERE "
)
#: A legacy token (domain/tokens/records.LegacyRecord), found only by its own key.
_LEGACY_SELECT = (
    "SELECT t.id, t.access_hash, c.protocol, t.client_pk, t.user_id, t.scope, t.issued_at, t.expires_at, "
    "t.revoked_at, c.secret_sealed, c.secure, c.target, c.source, o.client_id, o.project_id, o.disabled, "
    "o.certificate, p.suspended_at, u.sub, u.disabled FROM tokens t "
    "JOIN legacy_credentials c ON c.token_id = t.id JOIN clients o ON o.id = t.client_pk "
    "JOIN projects p ON p.id = o.project_id JOIN users u ON u.id = t.user_id WHERE t.access_hash "
)
#: A ``gadget_tokens`` row's columns, in the order its INSERT takes them.
GADGET_COLUMNS = ("handle_hash", "user_id", "client_pk", "token_sealed", "scope", "expires_at", "created_at")
#: No LIKE: a literal percent sign would need escaping under psycopg's paramstyle.
_NOT_LEGACY = "substr(t.grant_type, 1, 7) <> 'legacy:'"
_CODE_SELECT = (
    "SELECT c.code_hash, c.client_pk, c.redirect_uri, c.scope, c.nonce, c.code_challenge, "
    f"c.code_challenge_method, c.offline, c.auth_time, c.family, c.expires_at, c.used_at, {_USER}, "
    "c.grant_lapses_at, c.amr "
    f"FROM authorization_codes c JOIN users u ON u.id = c.user_id {_USER_JOIN} WHERE c.code_hash "
)
_DEVICE_SELECT = (
    "SELECT d.device_code_hash, d.client_pk, o.client_id, d.scope, d.status, d.granted_scope, "
    f"d.interval, d.last_poll_at, d.expires_at, {_USER}, d.refusal FROM device_codes d "
    f"JOIN clients o ON o.id = d.client_pk LEFT JOIN users u ON u.id = d.user_id {_USER_JOIN} "
    "WHERE d.device_code_hash "
)
_ACCOUNT_SELECT = (
    f"SELECT a.session_hash, s.expires_at, a.authenticated_at, a.amr, {_USER} FROM browser_sessions s "
    "JOIN session_accounts a ON a.session_hash = s.id_hash JOIN users u ON u.id = a.user_id "
    f"{_USER_JOIN} WHERE s.id_hash "
)
_CONSENT_SELECT = (
    "SELECT a.session_hash, c.client_id, g.user_id, g.scopes, g.lapses_at FROM session_accounts a "
    "JOIN consent_grants g ON g.user_id = a.user_id JOIN clients c ON c.id = g.client_pk "
    "WHERE a.session_hash "
)
#: Each signed-in member's organization rules for a client's app (domain/orgs/policy_facts.py);
#: an approved access request counts from the latest one.
_ORG_RULES_SELECT = (
    "SELECT a.session_hash, c.client_id, u.id, o.unconfigured, o.restricted_apis, o.refusal_message, "
    "o.internal_approval, x.access, x.installed, x.updated_at, (SELECT MAX(COALESCE(r.decided_at, 0)) "
    "FROM access_requests r WHERE r.org_id = o.id AND r.project_id = c.project_id AND r.user_id = u.id "
    "AND r.status = 'approved') FROM session_accounts a JOIN users u ON u.id = a.user_id "
    "JOIN organizations o ON o.id = u.org_id JOIN clients c ON c.client_id "
)
_ORG_RULES_WHERE = (
    " LEFT JOIN org_app_access x ON x.org_id = o.id AND x.project_id = c.project_id WHERE a.session_hash "
)
_NONCE_SELECT = (
    "SELECT c.client_id, a.nonce FROM authorization_codes a JOIN clients c ON c.id = a.client_pk "
    "WHERE a.nonce "
)
# --- the JWT bearer grant (RFC 7523): a service account by its address, its keys, the subject
# and the delegation of the subject's organization to the service account ------------------------
_ISSUER_SELECT = "SELECT c.service_email, " + _CLIENT_SELECT.removeprefix("SELECT ") + "c.service_email "
_SERVICE_KEY_SELECT = (
    "SELECT c.service_email, k.kid, k.public_jwk, k.disabled_at FROM service_account_keys k "
    "JOIN clients c ON c.id = k.client_pk WHERE c.service_email "
)
_SUBJECT_SELECT = f"SELECT {_USER} FROM users u {_USER_JOIN} WHERE u.email "
_DELEGATION_SELECT = (
    "SELECT c.service_email, u.email, d.scopes FROM org_delegations d "
    "JOIN clients c ON c.id = d.client_pk JOIN users u ON u.org_id = d.org_id WHERE c.service_email "
)
_USED_ASSERTION_SELECT = "SELECT jti_hash FROM used_assertions WHERE jti_hash "


class _Insert:
    """A many-row INSERT for one table: ``executemany`` on SQLite, one JSON document on PostgreSQL.

    A column a row leaves out gets its table default, as the ORM would give it; a key that names no
    column is a caller's bug and fails the batch, rather than a value silently not stored. Raw statements,
    not SQLAlchemy's: a batch on PostgreSQL runs in pipeline mode, where SQLAlchemy's results
    (and the ORM's INSERT ... RETURNING of new ids) cannot be read before the pipeline syncs.
    """

    def __init__(self, conn: Connection, table: Table, sqlite: bool) -> None:
        columns = [c.name for c in table.c if not (c.primary_key and isinstance(c.type, Integer))]
        self.defaults = {
            c.name: getattr(c.default, "arg", None) for c in table.c if c.name in columns and c.default
        }
        self.json_columns = {c.name for c in table.c if isinstance(c.type, JSON)} if sqlite else set()
        self.table, self.columns = table.name, frozenset(columns)
        if sqlite:
            compiled = insert(table).compile(dialect=conn.dialect, column_keys=columns)
            self.sql = compiled.string
            self.order = tuple(compiled.positiontup or ())
        else:
            # One statement and one text parameter for the whole batch, typed by the table's own row
            # type. Measured against one array per column (``unnest``, 15 arrays each adapted by the
            # driver in Python): a third of the client CPU per row and half the wall time
            # (bench/README.md, "One token path").
            self.order = tuple(columns)
            # Names come from the table definition, never from input.
            self.sql = self.insert_where("")
        self.sqlite = sqlite
        #: A row's values in the statement's order, picked in C (a generator cost ~2 us per row).
        self._values_of = _picker(self.order)

    def insert_where(self, condition: str) -> str:
        """PostgreSQL's INSERT of one JSON document's rows (its one parameter), keeping only the rows
        (``r``) that meet ``condition`` (a constant SQL text; empty: every row)."""
        names = ", ".join(self.order)
        return (
            f"INSERT INTO {self.table} ({names}) "
            f"SELECT {names} FROM json_populate_recordset(NULL::{self.table}, %s::json) "
            f"WITH ORDINALITY AS r {f'WHERE {condition} ' if condition else ''}"
            "ORDER BY r.ordinality"  # ids in the document's order
        )

    def run(self, conn: Connection, rows: Sequence[Mapping[str, Any]]) -> None:
        if not rows:
            return
        begin_write(conn)
        cursor = conn.connection.cursor()
        try:
            if self.sqlite:
                cursor.executemany(self.sql, list(map(self._values_of, self._all_filled(rows))))
            else:
                cursor.execute(self.sql, (self.document(rows),))
        finally:
            cursor.close()

    def document(self, rows: Sequence[Mapping[str, Any]]) -> str:
        """PostgreSQL: the rows as the one JSON parameter of :meth:`insert_where`'s statement."""
        return json.dumps(self._all_filled(rows), separators=(",", ":"))

    def _all_filled(self, rows: Sequence[Mapping[str, Any]]) -> list[Mapping[str, Any]]:
        for row in rows:
            if not self.columns.issuperset(row):
                raise KeyError(f"{self.table} has no column {sorted(set(row) - self.columns)}")
        return [self._filled(row) for row in rows]

    def _filled(self, row: Mapping[str, Any]) -> Mapping[str, Any]:
        """The row with defaults filled in and JSON columns encoded. A dict already naming every
        column, none of them JSON (every token row: TokenRecord), is used as it is: rebuilding such
        rows key by key was ~5 us of the batch's CPU per row (cProfile)."""
        if isinstance(row, dict) and len(row) == len(self.order) and not self.json_columns:
            return row
        return {k: self._value(row, k) for k in self.order}

    def _value(self, row: Mapping[str, Any], key: str) -> Any:
        if key in row:
            value = row[key]
        else:
            default = self.defaults.get(key)
            # SQLAlchemy wraps a callable default to take the execution context.
            value = default(None) if callable(default) else default
        return json.dumps(value) if key in self.json_columns else value


def _picker(order: tuple[str, ...]) -> Callable[[Mapping[str, Any]], tuple[Any, ...]]:
    """A row's values in ``order``, as a tuple. ``itemgetter`` does it in C, but of one key it returns
    the value rather than a 1-tuple (and of none it cannot be built)."""
    if len(order) > 1:
        pick: Callable[[Mapping[str, Any]], tuple[Any, ...]] = operator.itemgetter(*order)
        return pick
    return lambda row: tuple(row[k] for k in order)


class _Dialect:
    """Statement texts for one driver."""

    def __init__(self, conn: Connection) -> None:
        self.sqlite = conn.dialect.name == "sqlite"
        self.p = p = "?" if self.sqlite else "%s"
        one_of = "IN (SELECT value FROM json_each(?))" if self.sqlite else "= ANY(%s)"
        self.client_by_client_id = _CLIENT_SELECT + "c.client_id " + one_of
        self.client_by_pk = _CLIENT_CHECK + "c.id " + one_of
        self.token_by = {
            # Legacy tokens (domain/legacy/tokens.py) are never an OAuth 2.0 endpoint's to find.
            "access_token": _TOKEN_SELECT + f"{_NOT_LEGACY} AND t.access_hash " + one_of,
            "refresh_token": _TOKEN_SELECT + f"{_NOT_LEGACY} AND t.refresh_hash " + one_of,
        }
        self.code = _CODE_SELECT + one_of
        self.legacy = _LEGACY_SELECT + one_of
        self.device = _DEVICE_SELECT + one_of
        self.accounts = _ACCOUNT_SELECT + one_of
        self.consents = _CONSENT_SELECT + one_of + " AND c.client_id " + one_of
        self.nonces = _NONCE_SELECT + one_of
        self.org_rules = _ORG_RULES_SELECT + one_of + _ORG_RULES_WHERE + one_of
        self.issuers = _ISSUER_SELECT + one_of
        self.service_keys = _SERVICE_KEY_SELECT + one_of
        self.subjects = _SUBJECT_SELECT + one_of
        self.delegations = _DELEGATION_SELECT + one_of + " AND u.email " + one_of
        self.used_assertions = _USED_ASSERTION_SELECT + one_of + f" AND expires_at > {p}"
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
        self.claim_flows = f"DELETE FROM interactions WHERE id_hash {one_of} RETURNING id_hash"
        # Keep the newest N live refresh tokens of one user at one client; the rest are revoked.
        self.revoke_oldest_refresh = (
            f"UPDATE tokens SET revoked_at = {p} WHERE id IN (SELECT id FROM tokens WHERE user_id = {p} "
            f"AND client_pk = {p} AND refresh_hash IS NOT NULL AND revoked_at IS NULL AND rotated_at IS NULL "
            f"AND refresh_expires_at > {p} ORDER BY issued_at DESC, id DESC "
            f"{'LIMIT -1' if self.sqlite else 'LIMIT ALL'} OFFSET {p})"
        )
        self.insert_tokens = _Insert(conn, Token.__table__, self.sqlite)  # type: ignore[arg-type]
        self.delete_tokens = f"DELETE FROM tokens WHERE access_hash {one_of}"
        #: PostgreSQL: one statement, so that in autocommit it is a whole transaction: the clients
        #: re-read, and the tokens of those that still exist written, in one snapshot
        #: (token_batches.mint_reading_clients). A data-modifying WITH runs to completion whether or
        #: not the outer query reads it.
        self.mint_reading_clients = (
            None
            if self.sqlite
            else f"WITH current AS ({self.client_by_pk}), "
            f"written AS ({self.insert_tokens.insert_where('r.client_pk IN (SELECT id FROM current)')}) "
            "SELECT * FROM current"
        )
        self.insert_codes = _Insert(conn, AuthorizationCode.__table__, self.sqlite)  # type: ignore[arg-type]
        # Legacy protocols (domain/legacy/tokens.py): a request token used up; a token's extras,
        # found by the key just written; each holder kept to its newest N live tokens, the holder
        # locked first on PostgreSQL (NO KEY UPDATE: not in conflict with the KEY SHARE that each
        # token INSERT's foreign key takes, so two batches never deadlock on it) so that two
        # batches never both count N. SQLite serializes writers already.
        claim_legacy = (
            f"UPDATE legacy_requests SET used_at = {p} WHERE token_hash = {p} AND protocol = {p} "
            f"AND used_at IS NULL AND expires_at > {p}"
        )
        self.claim_legacy = {
            False: claim_legacy + " RETURNING token_hash",
            True: claim_legacy + " AND approved_at IS NOT NULL RETURNING token_hash",
        }
        self.claim_revoke = (
            f"UPDATE tokens SET revoked_at = {p} WHERE revoked_at IS NULL AND id {one_of} RETURNING id"
        )
        self.insert_legacy_credential = (
            "INSERT INTO legacy_credentials (token_id, protocol, secret_sealed, secure, target, source) "
            f"SELECT id, {p}, {p}, {p}, {p}, {p} FROM tokens WHERE access_hash = {p}"
        )
        self.lock_users = f"SELECT id FROM users WHERE id {one_of} ORDER BY id" + (
            "" if self.sqlite else " FOR NO KEY UPDATE"
        )
        self.revoke_oldest_legacy = (
            f"UPDATE tokens SET revoked_at = {p} WHERE id IN (SELECT t.id FROM tokens t "
            f"JOIN legacy_credentials c ON c.token_id = t.id WHERE t.user_id = {p} AND t.client_pk = {p} "
            f"AND t.grant_type = {p} AND t.revoked_at IS NULL AND t.expires_at > {p} "
            f"AND c.target = {p} AND c.source = {p} ORDER BY t.issued_at DESC, t.id DESC "
            f"{'LIMIT -1' if self.sqlite else 'LIMIT ALL'} OFFSET {p})"
        )
        # The widget proxy's handles: few, and with a sealed token (bytes, which _Insert's JSON
        # document cannot carry), so one plain row each.
        self.insert_gadget_token = (
            f"INSERT INTO gadget_tokens ({', '.join(GADGET_COLUMNS)}) "
            f"VALUES ({', '.join([p] * len(GADGET_COLUMNS))})"
        )
        self.insert_devices = _Insert(conn, DeviceCode.__table__, self.sqlite)  # type: ignore[arg-type]
        self.insert_audit = _Insert(conn, AuditEvent.__table__, self.sqlite)  # type: ignore[arg-type]
        self.last_chain = "SELECT chain FROM audit_events ORDER BY id DESC LIMIT 1"

    def keys(self, values: Iterable[Any]) -> Any:
        wanted = sorted(set(values))
        return json.dumps(wanted) if self.sqlite else wanted


_dialects: dict[str, _Dialect] = {}


def dialect(conn: Connection) -> _Dialect:
    found = _dialects.get(conn.dialect.name)
    if found is None:
        found = _dialects[conn.dialect.name] = _Dialect(conn)
    return found
