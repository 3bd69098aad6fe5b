"""The sample file store, and which app may see which file under the per-file scope."""

from sqlalchemy import BigInteger, ForeignKey, Integer, LargeBinary, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from consentry.storage.tables.base import Base, now


class StoredFile(Base):
    """A user's file. ``space`` is "files" (visible to the user) or "appdata" (an app's hidden folder)."""

    __tablename__ = "stored_files"

    id: Mapped[int] = mapped_column(primary_key=True)
    public_id: Mapped[str] = mapped_column(String(32), unique=True)
    owner_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    space: Mapped[str] = mapped_column(String(16), default="files")
    #: The project whose app created the file (per-file and appdata scopes see these).
    created_by_project: Mapped[int | None] = mapped_column(
        ForeignKey("projects.id", ondelete="SET NULL"), index=True, default=None
    )
    name: Mapped[str] = mapped_column(String(255))
    mime_type: Mapped[str] = mapped_column(String(127), default="application/octet-stream")
    description: Mapped[str] = mapped_column(String(2000), default="")
    content: Mapped[bytes] = mapped_column(LargeBinary, default=b"")
    size: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[int] = mapped_column(BigInteger, default=now)
    modified_at: Mapped[int] = mapped_column(BigInteger, default=now)


class FilePermission(Base):
    __tablename__ = "file_permissions"
    __table_args__ = (UniqueConstraint("file_id", "email"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    file_id: Mapped[int] = mapped_column(ForeignKey("stored_files.id", ondelete="CASCADE"), index=True)
    email: Mapped[str] = mapped_column(String(320))
    role: Mapped[str] = mapped_column(String(16))


class FilePick(Base):
    """The user chose to open this file with this app: the per-file scope (files.file) may see it."""

    __tablename__ = "file_picks"
    __table_args__ = (UniqueConstraint("file_id", "project_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    file_id: Mapped[int] = mapped_column(ForeignKey("stored_files.id", ondelete="CASCADE"), index=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"), index=True)
    picked_at: Mapped[int] = mapped_column(BigInteger, default=now)
