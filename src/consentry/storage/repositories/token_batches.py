"""Set-at-a-time SQL for the token lane: one statement per kind of work per batch, never per request."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from sqlalchemy import Connection, Row, insert, select, update

from consentry.storage.tables import Client, Project, Token, User

CLIENT_COLUMNS = (
    Client.id,
    Client.client_id,
    Client.secret_hash,
    Client.client_type,
    Client.access_token_format,
    Client.id_token_alg,
    Client.can_introspect,
    Client.disabled,
    Client.project_id,
    Project.status.label("project_status"),
    Client.redirect_uris,
    Client.jwks,
)
_OWNER = Client.__table__.alias("owner")
TOKEN_COLUMNS = (
    *Token.__table__.c,
    _OWNER.c.client_id.label("owner_client_id"),
    _OWNER.c.project_id.label("owner_project_id"),
    User.sub.label("user_sub"),
    User.email.label("user_email"),
    User.disabled.label("user_disabled"),
)


def clients_by_client_id(conn: Connection, client_ids: Iterable[str]) -> dict[str, Row[Any]]:
    ids = sorted(set(client_ids))
    if not ids:
        return {}
    stmt = (
        select(*CLIENT_COLUMNS)
        .join(Project, Project.id == Client.project_id)
        .where(Client.client_id.in_(ids))
    )
    return {row.client_id: row for row in conn.execute(stmt)}


def clients_by_pk(conn: Connection, pks: Iterable[int]) -> dict[int, Row[Any]]:
    ids = sorted(set(pks))
    if not ids:
        return {}
    stmt = select(*CLIENT_COLUMNS).join(Project, Project.id == Client.project_id).where(Client.id.in_(ids))
    return {row.id: row for row in conn.execute(stmt)}


def tokens_by_hash(conn: Connection, kind: str, hashes: Iterable[str]) -> dict[str, Row[Any]]:
    """Token rows by access or refresh hash, with their owner client and user."""
    wanted = sorted(set(hashes))
    if not wanted:
        return {}
    column = Token.access_hash if kind == "access_token" else Token.refresh_hash
    stmt = (
        select(*TOKEN_COLUMNS)
        .join(_OWNER, _OWNER.c.id == Token.client_pk)
        .outerjoin(User, User.id == Token.user_id)
        .where(column.in_(wanted))
    )
    key = "access_hash" if kind == "access_token" else "refresh_hash"
    return {getattr(row, key): row for row in conn.execute(stmt)}


def claim_refresh(conn: Connection, ids: Iterable[int], at: int) -> set[int]:
    """Mark refresh tokens rotated; returns the ids this call claimed (others were used already)."""
    wanted = sorted(set(ids))
    if not wanted:
        return set()
    stmt = (
        update(Token)
        .where(Token.id.in_(wanted), Token.rotated_at.is_(None), Token.revoked_at.is_(None))
        .values(rotated_at=at)
        .returning(Token.id)
    )
    return {row.id for row in conn.execute(stmt)}


def insert_tokens(conn: Connection, rows: Sequence[Mapping[str, Any]]) -> None:
    if rows:
        conn.execute(insert(Token), list(rows))
