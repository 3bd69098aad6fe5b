"""The sample mail service: a mailbox per user, delivery between local users."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from consentry.domain.accounts.emails import is_email_address, shown
from consentry.domain.data.access import not_found
from consentry.domain.secrets import new_id
from consentry.errors import DomainError
from consentry.storage.tables import MailForwarding, MailLabel, MailMessage, MailSettings, User

SYSTEM_LABELS = ("INBOX", "SENT", "DRAFT", "STARRED", "IMPORTANT", "SPAM", "TRASH")
MAX_FORWARDING = 20


def _addresses(values: list[str]) -> list[str]:
    cleaned = [v.strip().lower() for v in values if v.strip()]
    bad = [shown(v) for v in cleaned if not is_email_address(v)]
    if bad or not cleaned:
        raise DomainError("invalid_request", f"not a valid recipient list: {', '.join(bad) or '(empty)'}")
    return cleaned


def list_messages(
    session: Session, user_id: int, *, label: str | None = None, limit: int = 50
) -> list[MailMessage]:
    stmt = select(MailMessage).where(MailMessage.user_id == user_id).order_by(MailMessage.sent_at.desc())
    rows = list(session.scalars(stmt))
    if label:
        rows = [m for m in rows if label in (m.labels or [])]
    return rows[:limit]


def get_message(session: Session, user_id: int, public_id: str) -> MailMessage:
    row = session.scalar(
        select(MailMessage).where(MailMessage.public_id == public_id, MailMessage.user_id == user_id)
    )
    if row is None:
        raise not_found("message")
    return row


def _store(
    session: Session, user_id: int, sender: str, to: list[str], subject: str, body: str, labels: list[str]
) -> MailMessage:
    row = MailMessage(
        public_id=new_id(12),
        user_id=user_id,
        thread_id=new_id(12),
        sender=sender,
        recipients=to,
        subject=subject,
        body=body,
        labels=labels,
        attachments=[],
    )
    session.add(row)
    session.flush()
    return row


def send(session: Session, user: User, to: list[str], subject: str, body: str) -> MailMessage:
    """File the message under SENT and deliver it to local recipients' inboxes."""
    recipients = _addresses(to)
    sent = _store(session, user.id, user.email, recipients, subject, body, ["SENT"])
    for address in recipients:
        local = session.scalar(select(User).where(User.email == address))
        if local is not None and local.id != user.id:
            _store(session, local.id, user.email, recipients, subject, body, ["INBOX", "UNREAD"])
    return sent


def insert(
    session: Session, user_id: int, sender: str, to: list[str], subject: str, body: str, labels: list[str]
) -> MailMessage:
    """Put a message into the mailbox without sending it (imports, backups restored)."""
    _check_labels(session, user_id, labels)
    return _store(
        session, user_id, sender.strip().lower(), _addresses(to), subject, body, labels or ["INBOX"]
    )


def create_draft(session: Session, user: User, to: list[str], subject: str, body: str) -> MailMessage:
    recipients = [v.strip().lower() for v in to if v.strip()]
    return _store(session, user.id, user.email, recipients, subject, body, ["DRAFT"])


def _check_labels(session: Session, user_id: int, labels: list[str]) -> None:
    known = set(SYSTEM_LABELS) | {"UNREAD"} | {lab.name for lab in list_labels(session, user_id)}
    unknown = sorted(set(labels) - known)
    if unknown:
        raise DomainError("invalid_request", f"unknown label(s): {', '.join(unknown)}")


def modify(session: Session, user_id: int, public_id: str, add: list[str], remove: list[str]) -> MailMessage:
    row = get_message(session, user_id, public_id)
    _check_labels(session, user_id, add)
    labels = [lab for lab in (row.labels or []) if lab not in remove]
    row.labels = labels + [lab for lab in add if lab not in labels]
    return row


def delete(session: Session, user_id: int, public_id: str) -> None:
    session.delete(get_message(session, user_id, public_id))


def list_labels(session: Session, user_id: int) -> list[MailLabel]:
    return list(
        session.scalars(select(MailLabel).where(MailLabel.user_id == user_id).order_by(MailLabel.name))
    )


def create_label(session: Session, user_id: int, name: str, color: str = "#888888") -> MailLabel:
    name = name.strip()
    if not name or name.upper() in SYSTEM_LABELS or len(name) > 225:
        raise DomainError("invalid_request", "a label needs a name that is not a system label")
    if any(lab.name == name for lab in list_labels(session, user_id)):
        raise DomainError("conflict", f"label {name!r} exists")
    row = MailLabel(user_id=user_id, name=name, color=color)
    session.add(row)
    session.flush()
    return row


def get_settings(session: Session, user_id: int) -> MailSettings:
    row = session.get(MailSettings, user_id)
    if row is None:
        row = MailSettings(
            user_id=user_id, signature="", display_language="en", vacation_enabled=False, vacation_message=""
        )
        session.add(row)
        session.flush()
    return row


def update_settings(session: Session, user_id: int, changes: dict[str, object]) -> MailSettings:
    row = get_settings(session, user_id)
    for key, value in changes.items():
        if value is not None:
            setattr(row, key, value)
    return row


def list_forwarding(session: Session, user_id: int) -> list[MailForwarding]:
    stmt = select(MailForwarding).where(MailForwarding.user_id == user_id).order_by(MailForwarding.id)
    return list(session.scalars(stmt))


def add_forwarding(session: Session, user_id: int, address: str) -> MailForwarding:
    (clean,) = _addresses([address])
    existing = list_forwarding(session, user_id)
    if any(f.address == clean for f in existing):
        raise DomainError("conflict", f"mail is already forwarded to {clean}")
    if len(existing) >= MAX_FORWARDING:
        raise DomainError("invalid_request", f"at most {MAX_FORWARDING} forwarding addresses")
    row = MailForwarding(user_id=user_id, address=clean)
    session.add(row)
    session.flush()
    return row
