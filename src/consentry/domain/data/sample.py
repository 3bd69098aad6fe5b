"""Sample content for ``consentry demo``: enough in every data API to try each scope on."""

from __future__ import annotations

import time

from sqlalchemy.orm import Session

from consentry.domain.data import calendar, chat, mail
from consentry.domain.secrets import new_id
from consentry.storage.tables import ChatMembership, MeetingParticipant, MeetingSpace, StoredFile, User

DAY = 86400


def seed(session: Session, users: list[User]) -> dict[str, int]:
    """Give every user a mailbox, files, calendar and meetings; put them all in one chat space."""
    counts = {"messages": 0, "files": 0, "events": 0, "meeting_spaces": 0, "chat_messages": 0}
    today = int(time.time()) // DAY * DAY
    for i, user in enumerate(users):
        mail.create_label(session, user.id, "Receipts", "#2e7d32")
        mail.create_label(session, user.id, "Travel", "#1565c0")
        other = users[(i + 1) % len(users)]
        for subject, body, labels in (
            (
                "Your parcel is on its way",
                "Tracking number ZX-1042. Expected on Thursday.",
                ["INBOX", "Receipts"],
            ),
            (
                "Flight to Lisbon: itinerary",
                "Departure 09:40, seat 14C. Booking reference QX7P2L.",
                ["INBOX", "Travel"],
            ),
            ("Team lunch?", f"Hi {user.name or user.email}, lunch on Friday at noon?", ["INBOX", "UNREAD"]),
        ):
            mail.insert(session, user.id, other.email, [user.email], subject, body, labels)
            counts["messages"] += 1
        mail.update_settings(session, user.id, {"signature": f"-- {user.name or user.email}"})
        for name, mime, content in (
            ("Quarterly report.txt", "text/plain", b"Revenue grew 12% over the quarter."),
            ("Holiday photos.json", "application/json", b'{"album": "Lisbon", "photos": 42}'),
            ("Budget 2027.csv", "text/csv", b"item,amount\nrent,1200\nfood,400\n"),
        ):
            session.add(
                StoredFile(
                    public_id=new_id(12),
                    owner_id=user.id,
                    name=name,
                    mime_type=mime,
                    content=content,
                    size=len(content),
                )
            )
            counts["files"] += 1
        for n, (summary, hour, hours) in enumerate(
            (("Stand-up", 9, 1), ("Design review", 14, 2), ("Dentist", 17, 1))
        ):
            start = today + (n + 1) * DAY + hour * 3600
            calendar.create_event(
                session,
                user.id,
                summary=summary,
                starts_at=start,
                ends_at=start + hours * 3600,
                attendees=[other.email],
            )
            counts["events"] += 1
        space = MeetingSpace(public_id=new_id(12), owner_id=user.id, meeting_code=f"dem-{i:04d}-abc")
        session.add(space)
        session.flush()
        for u in (user, other):
            session.add(MeetingParticipant(space_id=space.id, display_name=u.name or u.email, email=u.email))
        counts["meeting_spaces"] += 1
    if users:
        room = chat.create_space(session, users[0].id, "General")
        for user in users[1:]:
            session.add(ChatMembership(space_id=room.id, user_id=user.id))
        session.flush()
        for user in users:
            chat.post_message(session, user.id, room.public_id, f"Hello from {user.name or user.email}!")
            counts["chat_messages"] += 1
    session.flush()
    return counts
