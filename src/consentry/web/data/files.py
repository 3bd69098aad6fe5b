"""``/data/v1/files``: list, metadata, content, create, rename, share, delete.

What a call sees depends on the granted scope's reach (see domain/data/files.py).
"""

from __future__ import annotations

import base64
import binascii

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response
from pydantic import BaseModel, Field

from consentry.domain.data import files
from consentry.domain.data.access import DataAccess
from consentry.errors import DomainError
from consentry.storage.tables import StoredFile
from consentry.web.data.operation import described, logged_unit, operation

router = APIRouter(prefix="/data/v1/files", tags=["files"])


class FileInfo(BaseModel):
    id: str
    name: str
    mime_type: str
    description: str
    size: int
    space: str
    created_at: int
    modified_at: int


class FileList(BaseModel):
    files: list[FileInfo]


class NewFile(BaseModel):
    name: str = Field(min_length=1, max_length=255)
    mime_type: str = Field(default="text/plain", max_length=127, pattern=r"^[\w.+-]+/[\w.+-]+$")
    description: str = Field(default="", max_length=2000)
    content: str | None = Field(default=None, description="Text content (UTF-8)")
    content_base64: str | None = Field(default=None, description="Binary content, base64")
    space: str = Field(default="files", pattern="^(files|appdata)$")


class FileChange(BaseModel):
    name: str | None = Field(default=None, max_length=255)
    description: str | None = Field(default=None, max_length=2000)


class Share(BaseModel):
    email: str = Field(max_length=320)
    role: str = Field(default="reader", pattern="^(reader|commenter|writer)$")


def _info(f: StoredFile) -> FileInfo:
    return FileInfo(
        id=f.public_id,
        name=f.name,
        mime_type=f.mime_type,
        description=f.description,
        size=f.size,
        space=f.space,
        created_at=f.created_at,
        modified_at=f.modified_at,
    )


def _content(body: NewFile) -> bytes:
    if body.content is not None and body.content_base64 is not None:
        raise DomainError("invalid_request", "send content or content_base64, not both")
    if body.content_base64 is not None:
        try:
            return base64.b64decode(body.content_base64, validate=True)
        except (binascii.Error, ValueError):
            raise DomainError("invalid_request", "content_base64 is not valid base64") from None
    return (body.content or "").encode("utf-8")


@router.get("", **described("files.list", response_model=FileList))
def list_files(
    request: Request,
    access: DataAccess = operation("files.list"),
    space: str = Query(default="files", pattern="^(files|appdata)$"),
    limit: int = Query(default=100, ge=1, le=1000),
) -> FileList:
    with logged_unit(request, access) as db:
        return FileList(files=[_info(f) for f in files.list_files(db, access, space=space, limit=limit)])


@router.post("", status_code=201, **described("files.create", response_model=FileInfo))
def create_file(request: Request, body: NewFile, access: DataAccess = operation("files.create")) -> FileInfo:
    content = _content(body)
    with logged_unit(request, access, 201) as db:
        row = files.create_file(
            db,
            access,
            name=body.name,
            content=content,
            mime_type=body.mime_type,
            description=body.description,
            space=body.space,
        )
        return _info(row)


@router.get("/{file_id}", **described("files.get", response_model=FileInfo))
def get_file(request: Request, file_id: str, access: DataAccess = operation("files.get")) -> FileInfo:
    with logged_unit(request, access) as db:
        return _info(files.get_file(db, access, file_id))


@router.get(
    "/{file_id}/content",
    **described("files.content", response_class=Response, responses={200: {"content": {"*/*": {}}}}),
)
def download(request: Request, file_id: str, access: DataAccess = operation("files.content")) -> Response:
    with logged_unit(request, access) as db:
        row = files.get_file(db, access, file_id)
        # Served as an attachment, never rendered: user content must not run in our origin.
        return Response(
            row.content,
            media_type=row.mime_type,
            headers={"Content-Disposition": "attachment", "X-Content-Type-Options": "nosniff"},
        )


@router.patch("/{file_id}", **described("files.update", response_model=FileInfo))
def update_file(
    request: Request, file_id: str, body: FileChange, access: DataAccess = operation("files.update")
) -> FileInfo:
    with logged_unit(request, access) as db:
        return _info(files.update_file(db, access, file_id, name=body.name, description=body.description))


@router.post("/{file_id}/permissions", status_code=201, **described("files.share", response_model=Share))
def share(
    request: Request, file_id: str, body: Share, access: DataAccess = operation("files.share")
) -> Share:
    with logged_unit(request, access, 201) as db:
        perm = files.share_file(db, access, file_id, body.email, body.role)
        return Share(email=perm.email, role=perm.role)


@router.delete("/{file_id}", status_code=204, **described("files.delete"))
def delete_file(request: Request, file_id: str, access: DataAccess = operation("files.delete")) -> None:
    with logged_unit(request, access, 204) as db:
        files.delete_file(db, access, file_id)
