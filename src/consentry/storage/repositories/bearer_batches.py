"""The JWT bearer grant's reads (RFC 7523), set-at-a-time like the token store's others
(``token_batches``): service accounts by address, their keys, the subjects, the delegations of
the subjects' organizations, and the assertions already used."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import Connection

from consentry.domain.clients.snapshot import ClientSnapshot
from consentry.domain.service_accounts.records import ServiceKeyRecord
from consentry.domain.tokens.records import UserRecord
from consentry.storage.repositories.token_batches import Pending, client_snapshot, json_value, user_record
from consentry.storage.repositories.token_sql import dialect


def clients_by_service_email(conn: Connection, emails: Iterable[str]) -> Pending[dict[str, ClientSnapshot]]:
    """Service accounts by address (an assertion's ``iss``), as the same snapshot as by client_id."""
    d = dialect(conn)
    return Pending(conn, d.issuers, (d.keys(emails),), lambda rs: {r[0]: client_snapshot(r[1:]) for r in rs})


def service_keys(conn: Connection, emails: Iterable[str]) -> Pending[dict[str, list[ServiceKeyRecord]]]:
    def convert(rows: list[Any]) -> dict[str, list[ServiceKeyRecord]]:
        out: dict[str, list[ServiceKeyRecord]] = {}
        for email, kid, jwk, disabled_at in rows:
            out.setdefault(email, []).append(ServiceKeyRecord(kid, json_value(jwk), disabled_at is not None))
        return out

    d = dialect(conn)
    return Pending(conn, d.service_keys, (d.keys(emails),), convert)


def users_by_email(conn: Connection, emails: Iterable[str]) -> Pending[dict[str, UserRecord]]:
    d = dialect(conn)
    return Pending(
        conn, d.subjects, (d.keys(emails),), lambda rs: {r[2]: u for r in rs if (u := user_record(r))}
    )


def delegations(
    conn: Connection, service_emails: Iterable[str], user_emails: Iterable[str]
) -> Pending[dict[tuple[str, str], frozenset[str]]]:
    """(service account address, user email) -> the scope names the user's organization delegated."""
    d = dialect(conn)
    return Pending(
        conn,
        d.delegations,
        (d.keys(service_emails), d.keys(user_emails)),
        lambda rs: {(r[0], r[1]): frozenset(json_value(r[2]) or ()) for r in rs},
    )


def used_assertions(conn: Connection, keys: Iterable[str], at: int) -> Pending[set[str]]:
    """Replay keys recorded by earlier assertions that have not expired yet."""
    d = dialect(conn)
    return Pending(conn, d.used_assertions, (d.keys(keys), at), lambda rs: {r[0] for r in rs})
