"""``/data/v1/chat``: spaces, messages, members."""

from __future__ import annotations

from fastapi import APIRouter, Query, Request
from pydantic import BaseModel, Field

from consentry.domain.data import chat
from consentry.domain.data.access import DataAccess
from consentry.storage.tables import ChatSpace, User
from consentry.web.data.operation import described, logged_unit, operation

router = APIRouter(prefix="/data/v1/chat", tags=["chat"])


class Space(BaseModel):
    id: str
    display_name: str
    created_at: int


class SpaceList(BaseModel):
    spaces: list[Space]


class NewSpace(BaseModel):
    display_name: str = Field(min_length=1, max_length=128)


class Message(BaseModel):
    id: str
    sender: str
    text: str
    created_at: int


class MessageList(BaseModel):
    messages: list[Message]


class NewMessage(BaseModel):
    text: str = Field(min_length=1, max_length=chat.MAX_TEXT)


class Member(BaseModel):
    email: str
    role: str
    joined_at: int


class MemberList(BaseModel):
    members: list[Member]


class NewMember(BaseModel):
    email: str = Field(max_length=320)


def _space(s: ChatSpace) -> Space:
    return Space(id=s.public_id, display_name=s.display_name, created_at=s.created_at)


@router.get("/spaces", **described("chat.spaces.list", response_model=SpaceList))
def list_spaces(request: Request, access: DataAccess = operation("chat.spaces.list")) -> SpaceList:
    with logged_unit(request, access) as db:
        return SpaceList(spaces=[_space(s) for s in chat.list_spaces(db, access.user_id)])


@router.post("/spaces", status_code=201, **described("chat.spaces.create", response_model=Space))
def create_space(
    request: Request, body: NewSpace, access: DataAccess = operation("chat.spaces.create")
) -> Space:
    with logged_unit(request, access, 201) as db:
        return _space(chat.create_space(db, access.user_id, body.display_name))


@router.get("/spaces/{space_id}/messages", **described("chat.messages.list", response_model=MessageList))
def list_messages(
    request: Request,
    space_id: str,
    access: DataAccess = operation("chat.messages.list"),
    limit: int = Query(default=100, ge=1, le=1000),
) -> MessageList:
    with logged_unit(request, access) as db:
        rows = chat.list_messages(db, access.user_id, space_id, limit)
        return MessageList(
            messages=[
                Message(id=m.public_id, sender=e, text=m.text, created_at=m.created_at) for m, e in rows
            ]
        )


@router.post(
    "/spaces/{space_id}/messages",
    status_code=201,
    **described("chat.messages.create", response_model=Message),
)
def post_message(
    request: Request, space_id: str, body: NewMessage, access: DataAccess = operation("chat.messages.create")
) -> Message:
    with logged_unit(request, access, 201) as db:
        m = chat.post_message(db, access.user_id, space_id, body.text)
        sender = db.get(User, access.user_id)
        return Message(
            id=m.public_id, sender=sender.email if sender else "", text=m.text, created_at=m.created_at
        )


@router.delete(
    "/spaces/{space_id}/messages/{message_id}", status_code=204, **described("chat.messages.delete")
)
def delete_message(
    request: Request, space_id: str, message_id: str, access: DataAccess = operation("chat.messages.delete")
) -> None:
    with logged_unit(request, access, 204) as db:
        chat.delete_message(db, access.user_id, space_id, message_id)


@router.get("/spaces/{space_id}/members", **described("chat.members.list", response_model=MemberList))
def list_members(
    request: Request, space_id: str, access: DataAccess = operation("chat.members.list")
) -> MemberList:
    with logged_unit(request, access) as db:
        rows = chat.list_members(db, access.user_id, space_id)
        return MemberList(members=[Member(email=e, role=m.role, joined_at=m.joined_at) for m, e in rows])


@router.post(
    "/spaces/{space_id}/members", status_code=201, **described("chat.members.create", response_model=Member)
)
def add_member(
    request: Request, space_id: str, body: NewMember, access: DataAccess = operation("chat.members.create")
) -> Member:
    with logged_unit(request, access, 201) as db:
        m, email = chat.add_member(db, access.user_id, space_id, body.email)
        return Member(email=email, role=m.role, joined_at=m.joined_at)
