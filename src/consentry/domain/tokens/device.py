"""Device authorization (RFC 8628) state: pending, approved, denied, used."""

from __future__ import annotations

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from consentry.domain.secrets import Hasher
from consentry.storage.tables import DeviceCode
from consentry.storage.tables.base import now


def normalize_user_code(code: str) -> str:
    """Users type codes loosely: ignore case, spaces and dashes."""
    return "".join(ch for ch in code.upper() if ch.isalnum())


def save(
    session: Session,
    hasher: Hasher,
    *,
    device_code: str,
    user_code: str,
    client_pk: int,
    scope: str,
    ttl: int,
    interval: int,
) -> None:
    session.add(
        DeviceCode(
            device_code_hash=hasher.hash(device_code),
            user_code_hash=hasher.hash(normalize_user_code(user_code)),
            client_pk=client_pk,
            scope=scope,
            interval=interval,
            expires_at=now() + ttl,
        )
    )


def by_device_code(session: Session, hasher: Hasher, device_code: str) -> DeviceCode | None:
    return session.get(DeviceCode, hasher.hash(device_code))


def by_user_code(session: Session, hasher: Hasher, user_code: str) -> DeviceCode | None:
    row = session.scalar(
        select(DeviceCode).where(DeviceCode.user_code_hash == hasher.hash(normalize_user_code(user_code)))
    )
    if row is None or row.expires_at <= now() or row.status != "pending":
        return None
    return row


def decide(row: DeviceCode, user_id: int, granted_scope: str | None) -> None:
    """Record the user's decision; ``granted_scope`` None means denied."""
    row.user_id = user_id
    row.status = "approved" if granted_scope is not None else "denied"
    row.granted_scope = granted_scope


def poll_too_fast(session: Session, row: DeviceCode) -> bool:
    """True when the device polls faster than its interval (then it must slow down)."""
    t = now()
    last = row.last_poll_at
    row.last_poll_at = t
    if last is not None and t - last < row.interval:
        row.interval += 5
        return True
    return False


def mark_used(session: Session, row: DeviceCode) -> bool:
    result = session.execute(
        update(DeviceCode)
        .where(DeviceCode.device_code_hash == row.device_code_hash, DeviceCode.status == "approved")
        .values(status="used")
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]
