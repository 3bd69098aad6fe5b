"""Append-only, hash-chained audit log."""

from __future__ import annotations

import hashlib
import json
from typing import Any

from sqlalchemy import select, text
from sqlalchemy.orm import Session

from consentry.storage.db import AUDIT_APPEND_LOCK
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
    session.execute(text(AUDIT_APPEND_LOCK[session.get_bind().dialect.name]))
    previous = session.scalar(select(AuditEvent.chain).order_by(AuditEvent.id.desc()).limit(1)) or ""
    session.add(AuditEvent(**entry(previous, tag, actor=actor, data=data, channel=channel)))


def entry(
    previous: str,
    tag: str,
    *,
    actor: str = "",
    data: dict[str, Any] | None = None,
    channel: str | None = None,
) -> dict[str, Any]:
    """The row of an event appended after the one whose chain is ``previous`` ("" for the first);
    the token store appends its events in its own batched writes with it."""
    if channel is not None:
        data = {**(data or {}), "channel": str(channel)}
    tag, at = str(tag), now()
    payload = json.dumps({"tag": tag, "actor": actor, "data": data or {}, "at": at}, sort_keys=True)
    chain = hashlib.sha256((previous + payload).encode()).hexdigest()
    return {"tag": tag, "actor": actor, "data": data or {}, "at": at, "chain": chain}


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
