"""Helpers for the token-store tests: drive a BatchedTokenStore from synchronous tests, and build
or read back the rows it writes (tokens, codes, device codes, audit entries)."""

from __future__ import annotations

import asyncio
from typing import Any

from sqlalchemy import func, select

from consentry.domain.secrets import Hasher, new_secret, new_token
from consentry.domain.tokens import codes
from consentry.domain.tokens.service import IssuedToken, token_values
from consentry.domain.tokens.store import Changes, Found, Lookup, Outcome
from consentry.storage.tables import AuditEvent, AuthorizationCode, DeviceCode, Token, User
from consentry.storage.tables.base import now
from consentry.storage.token_store import BatchedTokenStore
from tests.support.databases import SECRET
from tests.support.loops import own_loop
from tests.support.seed import SeededClient, Seeder

hasher = Hasher(SECRET)
ACCESS = ("access_token",)
REFRESH = ("refresh_token",)
BOTH = ("access_token", "refresh_token")


def lookup(store: BatchedTokenStore, *wants: Lookup) -> list[Found]:
    """Run lookups in one coroutine, so they share one batched read."""

    async def run() -> list[Found]:
        return list(await asyncio.gather(*(store.lookup(w) for w in wants)))

    return own_loop(run)


def commit(store: BatchedTokenStore, *changes: Changes) -> list[Outcome]:
    """Run commits in one coroutine, so they share one batch (one transaction)."""

    async def run() -> list[Outcome]:
        return list(await asyncio.gather(*(store.commit(c) for c in changes)))

    return own_loop(run)


def user_id(seed: Seeder, email: str) -> int:
    with seed.db.unit_of_work() as s:
        found = s.scalar(select(User.id).where(User.email == email))
    assert found is not None
    return found


def token_row(
    client_pk: int,
    uid: int | None,
    family: str,
    *,
    refresh: bool = True,
    grant_type: str = "authorization_code",
) -> tuple[str, str | None, dict[str, Any]]:
    """A new token pair and the row the store would write for it."""
    access = new_token("cs2")
    refresh_token = new_token("cr2") if refresh else None
    issued = IssuedToken(access, refresh_token, 3600, "openid email", None, "opaque")
    row = token_values(
        hasher,
        issued,
        client_pk=client_pk,
        user_id=uid,
        grant_type=grant_type,
        family=family,
        refresh_ttl=86400,
    )
    return access, refresh_token, row


def insert_token(seed: Seeder, row: dict[str, Any]) -> int:
    with seed.db.unit_of_work() as s:
        t = Token(**row)
        s.add(t)
        s.flush()
        return t.id


def code_row(
    client: SeededClient, uid: int, family: str, *, nonce: str | None = None
) -> tuple[str, dict[str, Any]]:
    code = new_secret()
    t = now()
    row = codes.row(
        hasher,
        code,
        client_pk=client.pk,
        user_id=uid,
        redirect_uri=client.redirect_uris[0] if client.redirect_uris else "",
        scope="openid email",
        nonce=nonce,
        code_challenge="c" * 43,
        code_challenge_method="S256",
        offline=True,
        auth_time=t - 5,
        family=family,
        expires_at=t + 600,
    )
    return code, row


def insert_code(seed: Seeder, row: dict[str, Any]) -> None:
    with seed.db.unit_of_work() as s:
        s.add(AuthorizationCode(**row))


def device_row(client: SeededClient, uid: int | None, status: str) -> dict[str, Any]:
    return {
        "device_code_hash": hasher.hash(new_secret()),
        "user_code_hash": hasher.hash(new_secret()),
        "client_pk": client.pk,
        "scope": "openid email",
        "status": status,
        "user_id": uid,
        "granted_scope": "openid" if uid is not None else None,
        "interval": 5,
        "last_poll_at": None,
        "expires_at": now() + 600,
    }


def insert_device(seed: Seeder, row: dict[str, Any]) -> str:
    with seed.db.unit_of_work() as s:
        s.add(DeviceCode(**row))
    return str(row["device_code_hash"])


def tokens_of(seed: Seeder, family: str) -> list[Token]:
    with seed.db.unit_of_work() as s:
        return list(s.scalars(select(Token).where(Token.family == family).order_by(Token.id)))


def token_by_access(seed: Seeder, access: str) -> Token | None:
    with seed.db.unit_of_work() as s:
        return s.scalar(select(Token).where(Token.access_hash == hasher.token_key(access)))


def audit_tags(seed: Seeder) -> list[tuple[str, str, dict[str, Any]]]:
    with seed.db.unit_of_work() as s:
        return [(e.tag, e.actor, e.data) for e in s.scalars(select(AuditEvent).order_by(AuditEvent.id))]


def count(seed: Seeder, table: Any) -> int:
    with seed.db.unit_of_work() as s:
        return int(s.scalar(select(func.count()).select_from(table)) or 0)
