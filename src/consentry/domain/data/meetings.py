"""The sample meetings service. meetings.space.created sees only spaces its app created."""

from __future__ import annotations

import hashlib
import secrets
import string
from collections.abc import Iterator

from sqlalchemy import select
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import ColumnElement

from consentry.domain.data.access import DataAccess, not_found
from consentry.domain.secrets import new_id
from consentry.errors import DomainError
from consentry.storage.tables import MeetingParticipant, MeetingSpace

ACCESS_TYPES = ("open", "trusted", "restricted")


def _visible(access: DataAccess) -> ColumnElement[bool]:
    mine = MeetingSpace.owner_id == access.user_id
    if access.sees_all:
        return mine
    return mine & (MeetingSpace.created_by_project == access.project_id)


def _code() -> str:
    letters = "".join(secrets.choice(string.ascii_lowercase) for _ in range(10))
    return f"{letters[:3]}-{letters[3:7]}-{letters[7:]}"


def list_spaces(session: Session, access: DataAccess) -> list[MeetingSpace]:
    stmt = (
        select(MeetingSpace).where(_visible(access)).order_by(MeetingSpace.created_at.desc(), MeetingSpace.id)
    )
    return list(session.scalars(stmt))


def get_space(session: Session, access: DataAccess, public_id: str) -> MeetingSpace:
    row = session.scalar(select(MeetingSpace).where(MeetingSpace.public_id == public_id, _visible(access)))
    if row is None:
        raise not_found("meeting space")
    return row


def create_space(session: Session, access: DataAccess, access_type: str = "trusted") -> MeetingSpace:
    if access_type not in ACCESS_TYPES:
        raise DomainError("invalid_request", f"access type is one of {', '.join(ACCESS_TYPES)}")
    row = MeetingSpace(
        public_id=new_id(12),
        owner_id=access.user_id,
        meeting_code=_code(),
        access_type=access_type,
        created_by_project=access.project_id,
    )
    session.add(row)
    session.flush()
    return row


def participants(session: Session, access: DataAccess, public_id: str) -> list[MeetingParticipant]:
    space = get_space(session, access, public_id)
    stmt = (
        select(MeetingParticipant)
        .where(MeetingParticipant.space_id == space.id)
        .order_by(MeetingParticipant.joined_at)
    )
    return list(session.scalars(stmt))


def media_frames(space_id: str, frames: int) -> Iterator[dict[str, object]]:
    """Synthetic real-time media: numbered audio and video frames standing for a live stream.

    Deterministic per space so a client can check it received the stream intact.
    """
    for n in range(frames):
        for kind in ("audio", "video"):
            digest = hashlib.sha256(f"{space_id}:{kind}:{n}".encode()).hexdigest()
            yield {"seq": n, "kind": kind, "timestamp_ms": n * 20, "payload": digest}
