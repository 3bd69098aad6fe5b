"""The sample chat service: a user sees the spaces they belong to, and only those."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from consentry.domain.data.access import not_found
from consentry.domain.secrets import new_id
from consentry.errors import DomainError
from consentry.storage.tables import ChatMembership, ChatMessage, ChatSpace, User

MAX_TEXT = 4096


def list_spaces(session: Session, user_id: int) -> list[ChatSpace]:
    stmt = (
        select(ChatSpace)
        .join(ChatMembership, ChatMembership.space_id == ChatSpace.id)
        .where(ChatMembership.user_id == user_id)
        .order_by(ChatSpace.display_name)
    )
    return list(session.scalars(stmt))


def get_space(session: Session, user_id: int, public_id: str) -> ChatSpace:
    stmt = (
        select(ChatSpace)
        .join(ChatMembership, ChatMembership.space_id == ChatSpace.id)
        .where(ChatSpace.public_id == public_id, ChatMembership.user_id == user_id)
    )
    row = session.scalar(stmt)
    if row is None:
        raise not_found("space")
    return row


def create_space(session: Session, user_id: int, display_name: str) -> ChatSpace:
    display_name = display_name.strip()
    if not display_name or len(display_name) > 128:
        raise DomainError("invalid_request", "a space needs a name of at most 128 characters")
    space = ChatSpace(public_id=new_id(12), display_name=display_name)
    session.add(space)
    session.flush()
    session.add(ChatMembership(space_id=space.id, user_id=user_id, role="manager"))
    session.flush()
    return space


def list_messages(
    session: Session, user_id: int, space_id: str, limit: int = 100
) -> list[tuple[ChatMessage, str]]:
    space = get_space(session, user_id, space_id)
    stmt = (
        select(ChatMessage, User.email)
        .join(User, User.id == ChatMessage.sender_id)
        .where(ChatMessage.space_id == space.id)
        .order_by(ChatMessage.created_at, ChatMessage.id)
        .limit(limit)
    )
    return [(m, email) for m, email in session.execute(stmt)]


def post_message(session: Session, user_id: int, space_id: str, text: str) -> ChatMessage:
    space = get_space(session, user_id, space_id)
    if not text.strip() or len(text) > MAX_TEXT:
        raise DomainError("invalid_request", f"a message has 1 to {MAX_TEXT} characters")
    row = ChatMessage(public_id=new_id(12), space_id=space.id, sender_id=user_id, text=text)
    session.add(row)
    session.flush()
    return row


def delete_message(session: Session, user_id: int, space_id: str, message_id: str) -> None:
    space = get_space(session, user_id, space_id)
    row = session.scalar(
        select(ChatMessage).where(ChatMessage.public_id == message_id, ChatMessage.space_id == space.id)
    )
    if row is None:
        raise not_found("message")
    if row.sender_id != user_id:
        raise DomainError("forbidden", "only the sender can delete a message")
    session.delete(row)


def list_members(session: Session, user_id: int, space_id: str) -> list[tuple[ChatMembership, str]]:
    space = get_space(session, user_id, space_id)
    stmt = (
        select(ChatMembership, User.email)
        .join(User, User.id == ChatMembership.user_id)
        .where(ChatMembership.space_id == space.id)
        .order_by(User.email)
    )
    return [(m, email) for m, email in session.execute(stmt)]


def add_member(session: Session, user_id: int, space_id: str, email: str) -> tuple[ChatMembership, str]:
    space = get_space(session, user_id, space_id)
    member = session.scalar(select(User).where(User.email == email.strip().lower()))
    if member is None:
        raise not_found("user")
    existing = session.scalar(
        select(ChatMembership).where(ChatMembership.space_id == space.id, ChatMembership.user_id == member.id)
    )
    if existing is not None:
        raise DomainError("conflict", f"{member.email} is already a member")
    row = ChatMembership(space_id=space.id, user_id=member.id, role="member")
    session.add(row)
    session.flush()
    return row, member.email
