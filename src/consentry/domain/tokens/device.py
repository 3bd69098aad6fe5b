"""Device authorization (RFC 8628) state: pending, approved, denied, used."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from consentry.domain.secrets import Hasher
from consentry.domain.tokens.records import DeviceRecord
from consentry.storage.tables import DeviceCode
from consentry.storage.tables.base import now


def normalize_user_code(code: str) -> str:
    """Users type codes loosely: ignore case, spaces and dashes."""
    return "".join(ch for ch in code.upper() if ch.isalnum())


def row(
    hasher: Hasher,
    *,
    device_code: str,
    user_code: str,
    client_pk: int,
    scope: str,
    ttl: int,
    interval: int,
) -> dict[str, Any]:
    """The row to store for a new device authorization: hashes of both codes, never the codes."""
    return {
        "device_code_hash": hasher.hash(device_code),
        "user_code_hash": hasher.hash(normalize_user_code(user_code)),
        "client_pk": client_pk,
        "scope": scope,
        "interval": interval,
        "expires_at": now() + ttl,
    }


def by_user_code(session: Session, hasher: Hasher, user_code: str) -> DeviceCode | None:
    row = session.scalar(
        select(DeviceCode).where(DeviceCode.user_code_hash == hasher.hash(normalize_user_code(user_code)))
    )
    if row is None or row.expires_at <= now() or row.status != "pending":
        return None
    return row


def decide(row: DeviceCode, user_id: int, granted_scope: str | None, refusal: str | None = None) -> None:
    """Record the decision; ``granted_scope`` None means denied, by the user or (``refusal``, the
    policy's error code) by the platform."""
    row.user_id = user_id
    row.status = "approved" if granted_scope is not None else "denied"
    row.granted_scope = granted_scope
    row.refusal = refusal


@dataclass(frozen=True, slots=True)
class Poll:
    polled_at: int
    interval: int
    #: The device polled faster than its interval: it must slow down (its interval grows by 5 s).
    too_fast: bool


def next_poll(row: DeviceRecord) -> Poll:
    """What a poll of a pending code changes: when it was polled and, if too soon, the interval."""
    t = now()
    last = row.last_poll_at
    if last is not None and t - last < row.interval:
        return Poll(t, row.interval + 5, True)
    return Poll(t, row.interval, False)
