"""The token store (``domain/tokens/store.py``), batched: every request's reads and writes share
one statement per kind with the other requests of the same event-loop turn (group commit).

Reads run in autocommit (no BEGIN/COMMIT round trips); writes re-read the clients they rely on
inside the committing transaction, so a cached client snapshot that went stale refuses the write
instead of minting a token for a client that was disabled or had its secret rotated.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from functools import partial
from typing import Any

from sqlalchemy import Connection, text

from consentry.domain.audit.tags import AuditTag, Channel
from consentry.domain.tokens.store import TOKEN_KINDS, Changes, Found, LegacyToken, Lookup, Outcome
from consentry.storage import unstorable
from consentry.storage.db import Database
from consentry.storage.group_commit import GroupCommit
from consentry.storage.repositories import bearer_batches as bearer
from consentry.storage.repositories import legacy_batches as legacy_sql
from consentry.storage.repositories import token_batches as sql
from consentry.storage.repositories import write_modes as modes
from consentry.storage.tables import AuthorizationCode, DeviceCode, GadgetToken, LegacyCredential, Token
from consentry.storage.tables.base import now
from consentry.storage.token_mints import mint_at_once, mints_only, unchanged_clients

CODES, DEVICES, TOKENS = AuthorizationCode.__table__, DeviceCode.__table__, Token.__table__
GADGETS, CREDENTIALS = GadgetToken.__table__, LegacyCredential.__table__


#: Live refresh tokens a user keeps per client (settings.refresh_tokens_per_client).
REFRESH_LIMIT = 100


def read_batch(conn: Connection, items: Sequence[Lookup]) -> list[Found]:
    """Every kind of read the batch needs, each one statement for all requests, all sent first."""
    at = now()
    wanted: list[tuple[set[Any], Callable[[set[Any]], Any]]] = [
        ({i.client_id for i in items if i.client_id}, lambda k: sql.clients_by_client_id(conn, k)),
        *[
            (
                {i.token_hash for i in items if i.token_hash and kind in i.token_kinds},
                lambda k, kind=kind: sql.tokens_by_hash(conn, kind, k),
            )
            for kind in TOKEN_KINDS
        ],
        ({i.code_hash for i in items if i.code_hash}, lambda k: sql.codes_by_hash(conn, k)),
        ({i.device_hash for i in items if i.device_hash}, lambda k: sql.devices_by_hash(conn, k)),
        ({i.session_hash for i in items if i.session_hash}, lambda k: sql.accounts_by_session(conn, k, at)),
        ({i.nonce for i in items if i.nonce and i.client_id}, lambda k: sql.used_nonces(conn, k)),
        ({i.legacy_key for i in items if i.legacy_key}, lambda k: legacy_sql.legacy_by_key(conn, k)),
    ]
    sessions = {i.session_hash for i in items if i.session_hash}
    consent_clients = {i.client_id for i in items if i.session_hash and i.client_id}
    bearer = _bearer_reads(conn, items, at)
    with modes.pipelined(conn):
        pending: list[Any] = [submit(keys) if keys else sql.Done({}) for keys, submit in wanted]
        consents_pending: Any = (
            sql.consents_by_session(conn, sessions, consent_clients, at) if consent_clients else sql.Done({})
        )
        org_rules_pending: Any = (
            sql.org_rules_by_session(conn, sessions, consent_clients) if consent_clients else sql.Done({})
        )
        bearer_pending: list[Any] = [submit(keys) if keys else sql.Done({}) for keys, submit in bearer]
        results = [p.result() for p in pending]
        consents = consents_pending.result()
        org_rules = org_rules_pending.result()
        issuers, service_keys, subjects, delegated, replayed = [p.result() for p in bearer_pending]
    clients, access, refresh, codes, devices, accounts, used, legacy = results
    tokens = {"access_token": access, "refresh_token": refresh}
    out = []
    for i in items:
        found_tokens = {}
        if i.token_hash:
            for kind in i.token_kinds:
                hit = tokens[kind].get(i.token_hash)
                if hit is not None:
                    found_tokens[kind] = hit
        out.append(
            Found(
                # A JWT bearer assertion names no client_id: its service account is the client.
                client=clients.get(i.client_id) if i.client_id else issuers.get(i.service_email or ""),
                tokens=found_tokens,
                code=codes.get(i.code_hash) if i.code_hash else None,
                device=devices.get(i.device_hash) if i.device_hash else None,
                accounts=tuple(accounts.get(i.session_hash, ())) if i.session_hash else (),
                **_consents(consents.get((i.session_hash, i.client_id), {}) if i.session_hash else {}),
                nonce_used=bool(i.nonce and i.client_id and (i.client_id, i.nonce) in used),
                org_rules=org_rules.get((i.session_hash, i.client_id), {}) if i.session_hash else {},
                **_bearer_found(i, service_keys, subjects, delegated, replayed),
                legacy=legacy.get(i.legacy_key) if i.legacy_key else None,
            )
        )
    return out


def _bearer_reads(
    conn: Connection, items: Sequence[Lookup], at: int
) -> list[tuple[set[Any], Callable[[set[Any]], Any]]]:
    """The JWT bearer grant's reads (RFC 7523), in the same pipeline; nothing when no one asks."""
    issuers = {i.service_email for i in items if i.service_email}
    subjects = {i.subject_email for i in items if i.subject_email and i.service_email}
    return [
        (issuers, lambda k: bearer.clients_by_service_email(conn, k)),
        (issuers, lambda k: bearer.service_keys(conn, k)),
        (subjects, lambda k: bearer.users_by_email(conn, k)),
        (subjects, lambda k: bearer.delegations(conn, issuers, k)),
        ({i.assertion_key for i in items if i.assertion_key}, lambda k: bearer.used_assertions(conn, k, at)),
    ]


def _bearer_found(
    i: Lookup,
    service_keys: dict[str, Any],
    subjects: dict[str, Any],
    delegated: dict[tuple[str, str], frozenset[str]],
    replayed: set[str],
) -> dict[str, Any]:
    """Found's JWT bearer fields for one lookup (the service account itself is its ``client``)."""
    if not i.service_email:
        return {}
    out: dict[str, Any] = {
        "service_keys": tuple(service_keys.get(i.service_email, ())),
        "assertion_used": bool(i.assertion_key and i.assertion_key in replayed),
    }
    if i.subject_email:
        out["subject"] = subjects.get(i.subject_email)
        out["delegated"] = delegated.get((i.service_email, i.subject_email))
    return out


#: Each claim: which key of a request it claims, how the batch claims a set of keys, and what
#: losing it means.
_Claims = list[tuple[Callable[[Changes], Any], Callable[[Connection, set[Any], int], Any], Outcome]]
_CLAIMS: _Claims = [
    (
        lambda c: c.claim_refresh.token_id if c.claim_refresh else None,
        lambda conn, keys, at: sql.claim_refresh(conn, keys, at),
        Outcome.REFRESH_REUSED,
    ),
    (
        lambda c: c.claim_code.code_hash if c.claim_code else None,
        lambda conn, keys, at: sql.claim_codes(conn, keys, at),
        Outcome.CODE_REPLAYED,
    ),
    (lambda c: c.claim_device, lambda conn, keys, _at: sql.claim_devices(conn, keys), Outcome.DEVICE_USED),
    # Tokens before request tokens, the order "Remove access" locks them in (domain/consent/access.py).
    (
        lambda c: c.claim_revoke,
        lambda conn, keys, at: legacy_sql.claim_revoke(conn, keys, at),
        Outcome.ALREADY_REVOKED,
    ),
    (
        lambda c: c.claim_legacy,
        lambda conn, keys, at: legacy_sql.claim_legacy(conn, keys, at),
        Outcome.LEGACY_USED,
    ),
    # Paused requests after the tokens and codes, before any insert locks a user's row (its foreign
    # keys): the order deleting a user takes them (tokens, codes, paused requests, then the user),
    # so that the two never wait on each other in a circle.
    (lambda c: c.claim_flow, lambda conn, keys, _at: sql.claim_flows(conn, keys), Outcome.FLOW_ENDED),
]


def write_batch(
    conn: Connection, items: Sequence[Changes], refresh_limit: int = REFRESH_LIMIT
) -> list[Outcome]:
    """Decide every claim first, then write what the winners carry, all in one transaction.

    A batch is mostly requests that only insert tokens (client credentials at c=32: 16-32 of
    them), so the per-request work here is kept to what such a request needs: a client's
    fingerprint is compared once per snapshot, claims are looked for only among the requests that
    carry one, and the rarer writes only for the requests that have some. On a connection that
    commits each statement by itself (``_write_mode`` chose it for a batch that only mints), the
    batch is that one statement (:func:`~consentry.storage.token_mints.mint_at_once`)."""
    if modes.autocommitting(conn):
        return mint_at_once(conn, items)
    at = now()
    pks = {c.client.id for c in items if c.client is not None}
    outcomes = unchanged_clients(items, sql.clients_by_pk(conn, pks).result() if pks else {})
    _legacy_holders(conn, items, outcomes)
    claiming = [n for n, c in enumerate(items) if c.claims()]
    for n in claiming:
        # An assertion first: a replayed client assertion must not burn the code it carries.
        a = items[n].claim_assertion
        if a is None or outcomes[n] is not Outcome.COMMITTED:
            continue
        if not sql.claim_assertion(conn, a.jti_hash, a.expires_at).result():
            outcomes[n] = Outcome.ASSERTION_REPLAYED
    if claiming:
        for key, claim, lost in _CLAIMS:
            _claim(items, claiming, outcomes, key, partial(_claimed, claim, conn, at), lost)
    tokens: list[dict[str, Any]] = []
    rest = _Rest()
    for c, outcome in zip(items, outcomes, strict=True):
        if outcome is Outcome.COMMITTED:
            tokens += c.tokens
            if c.besides_tokens():
                rest.add(c)
                tokens += [t.row for t in c.legacy_tokens]
        elif outcome is Outcome.REFRESH_REUSED and c.claim_refresh is not None:
            # RFC 9700 4.14.2: the rotated token came back, so the whole grant chain is revoked.
            rest.families.append(c.claim_refresh.family)
            rest.audit.append((AuditTag.TOKEN_REFRESH_REUSE, "", {"family": c.claim_refresh.family}))
        elif outcome is Outcome.CODE_REPLAYED and c.claim_code is not None:
            # RFC 6749 4.1.2: what the code issued the first time is revoked.
            rest.families.append(c.claim_code.family)
            rest.audit.append((AuditTag.TOKEN_CODE_REPLAY, "", {"family": c.claim_code.family}))
    # Inserted before the revocation: a winner's successor in the same batch as a replay of its
    # code or refresh token belongs to the revoked family too.
    sql.insert_tokens(conn, tokens)
    legacy_sql.write_legacy(conn, rest.legacy, at)
    legacy_sql.insert_gadget_tokens(conn, rest.gadget_tokens)
    # A new grant (not a rotation, which retires the token it replaces) may pass the limit.
    holders = [
        (r["user_id"], r["client_pk"])
        for r in tokens
        if r.get("refresh_hash") and r.get("user_id") is not None and r.get("grant_type") != "refresh_token"
    ]
    sql.revoke_oldest_refresh(conn, holders, refresh_limit, at)
    sql.insert_codes(conn, rest.codes)
    sql.revoke_families(conn, rest.families, at)
    sql.record_polls(conn, rest.polls)
    sql.insert_device_codes(conn, rest.device_codes)
    sql.append_audit(conn, rest.audit, Channel.PROTOCOL)
    return outcomes


def _legacy_holders(conn: Connection, items: Sequence[Changes], outcomes: list[Outcome]) -> None:
    """The users legacy tokens are written for: locked (PostgreSQL) before anything else the batch
    locks, so that their ten-token counts never interleave, and a request whose user was deleted
    since it decided refused (HOLDER_GONE) rather than failing the batch on the foreign key.
    ClientLogin and the widget proxy claim nothing that the deletion would have taken with it."""
    wanted = {t.row["user_id"] for c in items for t in c.legacy_tokens}
    if not wanted:
        return
    present = legacy_sql.lock_holders(conn, wanted)
    for n, c in enumerate(items):
        if outcomes[n] is Outcome.COMMITTED and any(t.row["user_id"] not in present for t in c.legacy_tokens):
            outcomes[n] = Outcome.HOLDER_GONE


@contextmanager
def _write_mode(conn: Connection, items: Sequence[Changes]) -> Iterator[None]:
    """How a batch talks to PostgreSQL: a :func:`mints_only` batch in autocommit (one statement),
    any other pipelined from BEGIN to COMMIT. SQLite runs its statements in-process: nothing."""
    if conn.dialect.name != "postgresql":
        yield
    elif mints_only(items):
        with modes.autocommitted(conn):
            yield
    else:
        with modes.pipelined(conn):
            yield


class _Rest:
    """A batch's writes other than tokens, gathered from the few requests that carry any."""

    __slots__ = ("audit", "codes", "device_codes", "families", "gadget_tokens", "legacy", "polls")

    def __init__(self) -> None:
        self.codes: list[dict[str, Any]] = []
        self.device_codes: list[dict[str, Any]] = []
        self.legacy: list[LegacyToken] = []
        self.gadget_tokens: list[dict[str, Any]] = []
        self.polls: list[tuple[int, int, str]] = []
        self.families: list[str] = []
        self.audit: list[tuple[str, str, dict[str, Any]]] = []

    def add(self, c: Changes) -> None:
        self.codes += c.codes
        self.device_codes += c.device_codes
        self.legacy += c.legacy_tokens
        self.gadget_tokens += c.gadget_tokens
        self.polls += [(p.polled_at, p.interval, p.device_hash) for p in c.device_polls]
        self.families += c.revoke_families
        self.audit += [(e.tag, e.actor, e.data) for e in c.audit]


def _claimed(
    claim: Callable[[Connection, set[Any], int], Any], conn: Connection, at: int, keys: set[Any]
) -> set[Any]:
    won: set[Any] = claim(conn, keys, at).result()
    return won


def _claim(
    items: Sequence[Changes],
    claiming: Sequence[int],
    outcomes: list[Outcome],
    key: Callable[[Changes], Any],
    claim: Callable[[set[Any]], set[Any]],
    lost: Outcome,
) -> None:
    """Claim each live request's key; a key claimed twice in one batch: the second one lost.
    ``claiming``: the positions of the requests that carry a claim, in batch order."""
    keys = [(n, key(items[n])) for n in claiming if outcomes[n] is Outcome.COMMITTED]
    wanted = {k for _n, k in keys if k}
    if not wanted:
        return
    won = claim(wanted)
    for n, k in keys:
        if k is None or outcomes[n] is not Outcome.COMMITTED:
            continue
        if k in won:
            won.discard(k)
        else:
            outcomes[n] = lost


def _autocommit(conn: Connection) -> None:
    """Reads need no transaction: on PostgreSQL that saves the BEGIN and COMMIT round trips."""
    conn.execution_options(isolation_level="AUTOCOMMIT")


def _durable_sqlite(conn: Connection) -> None:
    """Tokens are acknowledged only once on disk: fsync at every (group) commit."""
    if conn.dialect.name == "sqlite":
        conn.execute(text("PRAGMA synchronous=FULL"))


class BatchedTokenStore:
    """The one :class:`~consentry.domain.tokens.store.TokenStore` of a running server."""

    def __init__(self, db: Database, refresh_limit: int = REFRESH_LIMIT) -> None:
        # SQLite work is CPU in this process: run it on the loop, only the fsync in a thread.
        # PostgreSQL work is round trips to another process: the loop must not wait on them, so
        # its batches run in a thread, pipelined from BEGIN to COMMIT (they wait on the server only
        # where they need an answer: BEGIN travels with the first statement and the INSERTs with
        # the COMMIT, each saving a network latency when the server is elsewhere). Measured in
        # bench/run with PostgreSQL on the server's own core: batches on the loop lost to the
        # thread (code round trips 0.69-0.84x of oidc-provider against 0.95-1.09x). A batch that
        # only mints (client credentials) is one statement in autocommit instead (_write_mode).
        networked = db.engine.dialect.name != "sqlite"
        self.reader: GroupCommit[Lookup, Found] = GroupCommit(
            db.engine,
            read_batch,
            name="consentry-token-reader",
            on_connect=_autocommit,
            batch_in_thread=networked,
        )
        self.writer: GroupCommit[Changes, Outcome] = GroupCommit(
            db.engine,
            partial(write_batch, refresh_limit=refresh_limit),
            name="consentry-token-writer",
            on_connect=_durable_sqlite,
            commit_in_thread=True,
            batch_in_thread=networked,
            around=_write_mode,
        )

    async def lookup(self, want: Lookup) -> Found:
        # Batched reads run on a raw cursor, past the engine's check: refuse here what no column holds,
        # or one caller's NUL would fail the whole batch it shares with others.
        unstorable.check(want.client_id)
        unstorable.check(want.nonce)
        unstorable.check(want.session_hash)
        unstorable.check(want.service_email)
        unstorable.check(want.subject_email)
        unstorable.check(want.legacy_key)
        return await self.reader.submit(want)

    async def commit(self, changes: Changes) -> Outcome:
        # The same for rows: one request's unstorable nonce must not fail its batch-mates.
        for table, rows in (
            (CODES, changes.codes),
            (DEVICES, changes.device_codes),
            (TOKENS, changes.tokens),
            (TOKENS, [t.row for t in changes.legacy_tokens]),
            (GADGETS, changes.gadget_tokens),
        ):
            for row in rows:
                unstorable.check_row(table, row)
        if changes.claim_assertion is not None:
            unstorable.check(changes.claim_assertion.expires_at)
        if changes.claim_legacy is not None:
            unstorable.check(changes.claim_legacy.key)
        for t in changes.legacy_tokens:
            unstorable.check_row(
                CREDENTIALS, {"protocol": t.protocol, "target": t.target, "source": t.source}
            )
        return await self.writer.submit(changes)

    def close(self) -> None:
        self.reader.close()
        self.writer.close()


def _consents(grants: dict[int, tuple[frozenset[str], int | None]]) -> dict[str, Any]:
    """Found's two views of the session's grants: scopes, and lapse times where there are any."""
    return {
        "consents": {user: scopes for user, (scopes, _) in grants.items()},
        "consent_lapses": {user: lapses for user, (_, lapses) in grants.items() if lapses is not None},
    }
