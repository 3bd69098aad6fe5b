"""Append-only, hash-chained audit log."""

from __future__ import annotations

import hashlib
import json
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from consentry.storage.tables import AuditEvent
from consentry.storage.tables.base import now


def record(
    session: Session,
    tag: str,
    *,
    actor: str = "",
    data: dict[str, Any] | None = None,
    channel: str | None = None,
) -> None:
    """Append an event tagged ``entity:action`` (an AuditTag), chained to the previous one.

    ``channel`` (web, api, cli, system) is stored with the data, so one tag covers every way in.
    """
    if channel is not None:
        data = {**(data or {}), "channel": str(channel)}
    tag = str(tag)
    previous = session.scalar(select(AuditEvent.chain).order_by(AuditEvent.id.desc()).limit(1)) or ""
    at = now()
    payload = json.dumps({"tag": tag, "actor": actor, "data": data or {}, "at": at}, sort_keys=True)
    chain = hashlib.sha256((previous + payload).encode()).hexdigest()
    session.add(AuditEvent(tag=tag, actor=actor, data=data or {}, at=at, chain=chain))


def verify_chain(session: Session) -> bool:
    """Recompute the chain; False if any row was altered or removed."""
    previous = ""
    for ev in session.scalars(select(AuditEvent).order_by(AuditEvent.id)):
        payload = json.dumps({"tag": ev.tag, "actor": ev.actor, "data": ev.data, "at": ev.at}, sort_keys=True)
        expected = hashlib.sha256((previous + payload).encode()).hexdigest()
        if expected != ev.chain:
            return False
        previous = ev.chain
    return True
