"""``/data/v1/mail``: messages, labels, settings, forwarding."""

from __future__ import annotations

from fastapi import APIRouter, Query, Request
from pydantic import BaseModel, Field
from sqlalchemy.orm import Session

from consentry.domain.data import mail
from consentry.domain.data.access import DataAccess
from consentry.storage.tables import MailMessage, User
from consentry.web.data.operation import described, logged_unit, operation

router = APIRouter(prefix="/data/v1/mail", tags=["mail"])


class MessageHeaders(BaseModel):
    id: str
    thread_id: str
    sender: str
    recipients: list[str]
    subject: str
    sent_at: int
    labels: list[str]


class Message(MessageHeaders):
    body: str
    attachments: list[dict[str, str]]


class MessageList(BaseModel):
    messages: list[MessageHeaders]


class NewMessage(BaseModel):
    to: list[str] = Field(min_length=1, max_length=100)
    subject: str = Field(default="", max_length=998)
    body: str = Field(default="", max_length=1_000_000)


class InsertedMessage(NewMessage):
    sender: str = Field(max_length=320)
    labels: list[str] = Field(default_factory=list, max_length=50)


class LabelChange(BaseModel):
    add: list[str] = Field(default_factory=list, max_length=50)
    remove: list[str] = Field(default_factory=list, max_length=50)


class Label(BaseModel):
    name: str = Field(min_length=1, max_length=225)
    color: str = Field(default="#888888", pattern=r"^#[0-9a-fA-F]{6}$")


class LabelList(BaseModel):
    labels: list[Label]
    system_labels: list[str]


class Settings(BaseModel):
    signature: str
    display_language: str
    vacation_enabled: bool
    vacation_message: str


class SettingsChange(BaseModel):
    signature: str | None = Field(default=None, max_length=10_000)
    display_language: str | None = Field(default=None, pattern=r"^[a-z]{2}(-[A-Z]{2})?$")
    vacation_enabled: bool | None = None
    vacation_message: str | None = Field(default=None, max_length=10_000)


class Forwarding(BaseModel):
    address: str = Field(max_length=320)


class ForwardingList(BaseModel):
    forwarding: list[Forwarding]


def _headers(m: MailMessage) -> MessageHeaders:
    return MessageHeaders(
        id=m.public_id,
        thread_id=m.thread_id,
        sender=m.sender,
        recipients=list(m.recipients),
        subject=m.subject,
        sent_at=m.sent_at,
        labels=list(m.labels),
    )


def _full(m: MailMessage) -> Message:
    return Message(**_headers(m).model_dump(), body=m.body, attachments=list(m.attachments))


def _user(db: Session, access: DataAccess) -> User:
    user = db.get(User, access.user_id)
    assert user is not None  # the verifier checked the account exists
    return user


@router.get("/messages", **described("mail.messages.list", response_model=MessageList))
def list_messages(
    request: Request,
    access: DataAccess = operation("mail.messages.list"),
    label: str | None = Query(default=None, max_length=225),
    limit: int = Query(default=50, ge=1, le=500),
) -> MessageList:
    with logged_unit(request, access) as db:
        return MessageList(
            messages=[_headers(m) for m in mail.list_messages(db, access.user_id, label=label, limit=limit)]
        )


@router.post(
    "/messages/send", status_code=201, **described("mail.messages.send", response_model=MessageHeaders)
)
def send(
    request: Request, body: NewMessage, access: DataAccess = operation("mail.messages.send")
) -> MessageHeaders:
    with logged_unit(request, access, 201) as db:
        return _headers(mail.send(db, _user(db, access), body.to, body.subject, body.body))


@router.post("/messages", status_code=201, **described("mail.messages.insert", response_model=MessageHeaders))
def insert(
    request: Request, body: InsertedMessage, access: DataAccess = operation("mail.messages.insert")
) -> MessageHeaders:
    with logged_unit(request, access, 201) as db:
        return _headers(
            mail.insert(db, access.user_id, body.sender, body.to, body.subject, body.body, body.labels)
        )


@router.get("/messages/{message_id}", **described("mail.messages.get", response_model=Message))
def get_message(
    request: Request, message_id: str, access: DataAccess = operation("mail.messages.get")
) -> Message:
    with logged_unit(request, access) as db:
        return _full(mail.get_message(db, access.user_id, message_id))


@router.get(
    "/messages/{message_id}/metadata", **described("mail.messages.metadata", response_model=MessageHeaders)
)
def get_metadata(
    request: Request, message_id: str, access: DataAccess = operation("mail.messages.metadata")
) -> MessageHeaders:
    with logged_unit(request, access) as db:
        return _headers(mail.get_message(db, access.user_id, message_id))


@router.post(
    "/messages/{message_id}/modify", **described("mail.messages.modify", response_model=MessageHeaders)
)
def modify(
    request: Request,
    message_id: str,
    body: LabelChange,
    access: DataAccess = operation("mail.messages.modify"),
) -> MessageHeaders:
    with logged_unit(request, access) as db:
        return _headers(mail.modify(db, access.user_id, message_id, body.add, body.remove))


@router.delete("/messages/{message_id}", status_code=204, **described("mail.messages.delete"))
def delete(request: Request, message_id: str, access: DataAccess = operation("mail.messages.delete")) -> None:
    with logged_unit(request, access, 204) as db:
        mail.delete(db, access.user_id, message_id)


@router.post("/drafts", status_code=201, **described("mail.drafts.create", response_model=MessageHeaders))
def create_draft(
    request: Request, body: NewMessage, access: DataAccess = operation("mail.drafts.create")
) -> MessageHeaders:
    with logged_unit(request, access, 201) as db:
        return _headers(mail.create_draft(db, _user(db, access), body.to, body.subject, body.body))


@router.get("/labels", **described("mail.labels.list", response_model=LabelList))
def list_labels(request: Request, access: DataAccess = operation("mail.labels.list")) -> LabelList:
    with logged_unit(request, access) as db:
        labels = [Label(name=lab.name, color=lab.color) for lab in mail.list_labels(db, access.user_id)]
        return LabelList(labels=labels, system_labels=list(mail.SYSTEM_LABELS))


@router.post("/labels", status_code=201, **described("mail.labels.create", response_model=Label))
def create_label(
    request: Request, body: Label, access: DataAccess = operation("mail.labels.create")
) -> Label:
    with logged_unit(request, access, 201) as db:
        row = mail.create_label(db, access.user_id, body.name, body.color)
        return Label(name=row.name, color=row.color)


def _settings(db: Session, user_id: int) -> Settings:
    row = mail.get_settings(db, user_id)
    return Settings(
        signature=row.signature,
        display_language=row.display_language,
        vacation_enabled=row.vacation_enabled,
        vacation_message=row.vacation_message,
    )


@router.get("/settings", **described("mail.settings.get", response_model=Settings))
def get_settings(request: Request, access: DataAccess = operation("mail.settings.get")) -> Settings:
    with logged_unit(request, access) as db:
        return _settings(db, access.user_id)


@router.patch("/settings", **described("mail.settings.update", response_model=Settings))
def update_settings(
    request: Request, body: SettingsChange, access: DataAccess = operation("mail.settings.update")
) -> Settings:
    with logged_unit(request, access) as db:
        mail.update_settings(db, access.user_id, body.model_dump())
        return _settings(db, access.user_id)


@router.get("/settings/forwarding", **described("mail.forwarding.list", response_model=ForwardingList))
def list_forwarding(
    request: Request, access: DataAccess = operation("mail.forwarding.list")
) -> ForwardingList:
    with logged_unit(request, access) as db:
        return ForwardingList(
            forwarding=[Forwarding(address=f.address) for f in mail.list_forwarding(db, access.user_id)]
        )


@router.post(
    "/settings/forwarding", status_code=201, **described("mail.forwarding.create", response_model=Forwarding)
)
def add_forwarding(
    request: Request, body: Forwarding, access: DataAccess = operation("mail.forwarding.create")
) -> Forwarding:
    with logged_unit(request, access, 201) as db:
        return Forwarding(address=mail.add_forwarding(db, access.user_id, body.address).address)
