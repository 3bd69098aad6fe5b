"""The sample meetings service: spaces and who joined them (media is synthesized on request)."""

from sqlalchemy import BigInteger, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from consentry.storage.tables.base import Base, now


class MeetingSpace(Base):
    __tablename__ = "meeting_spaces"

    id: Mapped[int] = mapped_column(primary_key=True)
    public_id: Mapped[str] = mapped_column(String(32), unique=True)
    owner_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    meeting_code: Mapped[str] = mapped_column(String(16))
    access_type: Mapped[str] = mapped_column(String(16), default="trusted")
    #: The project whose app created the space (meetings.space.created sees only these).
    created_by_project: Mapped[int | None] = mapped_column(
        ForeignKey("projects.id", ondelete="SET NULL"), index=True, default=None
    )
    created_at: Mapped[int] = mapped_column(BigInteger, default=now)


class MeetingParticipant(Base):
    __tablename__ = "meeting_participants"

    id: Mapped[int] = mapped_column(primary_key=True)
    space_id: Mapped[int] = mapped_column(ForeignKey("meeting_spaces.id", ondelete="CASCADE"), index=True)
    display_name: Mapped[str] = mapped_column(String(128))
    email: Mapped[str] = mapped_column(String(320))
    joined_at: Mapped[int] = mapped_column(BigInteger, default=now)
    left_at: Mapped[int | None] = mapped_column(BigInteger, default=None)
