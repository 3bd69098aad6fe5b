"""The sample file store. The narrow scopes see only part of it (SCOPE-2's per-file rule):

- files.file ("granted-files"): files the app created, or the user picked for it;
- files.appdata ("appdata"): the app's own hidden folder, never the user's visible files.
"""

from __future__ import annotations

from sqlalchemy import and_, false, or_, select
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import ColumnElement

from consentry.domain.accounts.emails import is_email_address
from consentry.domain.data.access import DataAccess, not_found
from consentry.domain.secrets import new_id
from consentry.errors import DomainError
from consentry.storage.tables import FilePermission, FilePick, StoredFile
from consentry.storage.tables.base import now

MAX_CONTENT = 5 * 1024 * 1024
ROLES = ("reader", "commenter", "writer")


def _visible(access: DataAccess) -> ColumnElement[bool]:
    """The rows an app may see for this call, given the reach of the scopes granted to it."""
    clauses: list[ColumnElement[bool]] = []
    if access.sees_all:
        clauses.append(StoredFile.space == "files")
    elif "granted-files" in access.reaches:
        picked = select(FilePick.file_id).where(FilePick.project_id == access.project_id)
        clauses.append(
            and_(
                StoredFile.space == "files",
                or_(StoredFile.created_by_project == access.project_id, StoredFile.id.in_(picked)),
            )
        )
    if "appdata" in access.reaches:
        clauses.append(
            and_(StoredFile.space == "appdata", StoredFile.created_by_project == access.project_id)
        )
    return or_(*clauses) if clauses else false()


def list_files(
    session: Session, access: DataAccess, *, space: str = "files", limit: int = 100
) -> list[StoredFile]:
    if space not in ("files", "appdata"):
        raise DomainError("invalid_request", "space is files or appdata")
    stmt = (
        select(StoredFile)
        .where(StoredFile.owner_id == access.user_id, _visible(access), StoredFile.space == space)
        .order_by(StoredFile.modified_at.desc(), StoredFile.id.desc())
        .limit(limit)
    )
    return list(session.scalars(stmt))


def get_file(session: Session, access: DataAccess, public_id: str) -> StoredFile:
    stmt = select(StoredFile).where(
        StoredFile.public_id == public_id, StoredFile.owner_id == access.user_id, _visible(access)
    )
    row = session.scalar(stmt)
    if row is None:
        # Same answer whether the file is missing or hidden from this app: no existence oracle.
        raise not_found("file")
    return row


def create_file(
    session: Session,
    access: DataAccess,
    *,
    name: str,
    content: bytes,
    mime_type: str,
    description: str = "",
    space: str = "files",
) -> StoredFile:
    if space not in ("files", "appdata"):
        raise DomainError("invalid_request", "space is files or appdata")
    allowed = access.sees_all and space == "files"
    allowed |= space == "files" and "granted-files" in access.reaches
    allowed |= space == "appdata" and "appdata" in access.reaches
    if not allowed:
        raise DomainError("insufficient_scope", f"the granted scopes cannot create files in {space}")
    if not name.strip() or len(name) > 255:
        raise DomainError("invalid_request", "a file needs a name of at most 255 characters")
    if len(content) > MAX_CONTENT:
        raise DomainError("invalid_request", "file content is limited to 5 MiB")
    row = StoredFile(
        public_id=new_id(12),
        owner_id=access.user_id,
        space=space,
        created_by_project=access.project_id,
        name=name.strip(),
        mime_type=mime_type,
        description=description,
        content=content,
        size=len(content),
    )
    session.add(row)
    session.flush()
    return row


def update_file(
    session: Session, access: DataAccess, public_id: str, *, name: str | None, description: str | None
) -> StoredFile:
    row = get_file(session, access, public_id)
    if name is not None:
        if not name.strip() or len(name) > 255:
            raise DomainError("invalid_request", "a file needs a name of at most 255 characters")
        row.name = name.strip()
    if description is not None:
        row.description = description
    row.modified_at = now()
    return row


def share_file(session: Session, access: DataAccess, public_id: str, email: str, role: str) -> FilePermission:
    row = get_file(session, access, public_id)
    if row.space != "files":
        raise DomainError("invalid_request", "app data cannot be shared")
    email = email.strip().lower()
    if not is_email_address(email) or role not in ROLES:
        raise DomainError("invalid_request", f"share with a valid email as one of {', '.join(ROLES)}")
    perm = session.scalar(
        select(FilePermission).where(FilePermission.file_id == row.id, FilePermission.email == email)
    )
    if perm is None:
        perm = FilePermission(file_id=row.id, email=email, role=role)
        session.add(perm)
    perm.role = role
    session.flush()
    return perm


def permissions(session: Session, file_pk: int) -> list[FilePermission]:
    return list(session.scalars(select(FilePermission).where(FilePermission.file_id == file_pk)))


def delete_file(session: Session, access: DataAccess, public_id: str) -> None:
    session.delete(get_file(session, access, public_id))


def pick(session: Session, owner_id: int, project_id: int, public_id: str) -> FilePick:
    """The user opens one of their files with an app: files.file may now see it."""
    row = session.scalar(
        select(StoredFile).where(StoredFile.public_id == public_id, StoredFile.owner_id == owner_id)
    )
    if row is None or row.space != "files":
        raise not_found("file")
    existing = session.scalar(
        select(FilePick).where(FilePick.file_id == row.id, FilePick.project_id == project_id)
    )
    if existing is not None:
        return existing
    picked = FilePick(file_id=row.id, project_id=project_id)
    session.add(picked)
    session.flush()
    return picked
