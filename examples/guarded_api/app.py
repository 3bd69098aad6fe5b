"""A small notes API protected by consentry.guard.

Run it next to a Consentry server::

    CONSENTRY_ISSUER=http://127.0.0.1:8000 GUARD_CLIENT_ID=... GUARD_CLIENT_SECRET=... \\
        uvicorn examples.guarded_api.app:app --port 8001

Reading needs one of the read scopes, writing the write scope. Consentry's scope catalogue has no
``notes`` scopes, so by default the example borrows the sample ``files`` ones; set NOTES_READ_SCOPES
and NOTES_WRITE_SCOPES (space-separated names or full URIs) to use others.
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from itertools import count

from fastapi import Depends, FastAPI
from pydantic import BaseModel

from consentry.guard import Caller, Guard, RemoteVerifier


@dataclass
class Settings:
    issuer: str
    client_id: str | None
    client_secret: str | None
    read_scopes: list[str] = field(default_factory=list)
    write_scopes: list[str] = field(default_factory=list)

    @classmethod
    def from_env(cls) -> Settings:
        issuer = os.environ.get("CONSENTRY_ISSUER", "http://127.0.0.1:8000")

        def scopes(var: str, default: str) -> list[str]:
            names = os.environ.get(var, default).split()
            return [n if "://" in n else f"{issuer}/auth/{n}" for n in names]

        return cls(
            issuer=issuer,
            client_id=os.environ.get("GUARD_CLIENT_ID"),
            client_secret=os.environ.get("GUARD_CLIENT_SECRET"),
            read_scopes=scopes("NOTES_READ_SCOPES", "files.readonly files"),
            write_scopes=scopes("NOTES_WRITE_SCOPES", "files"),
        )


class NoteIn(BaseModel):
    text: str


class Note(BaseModel):
    id: int
    owner: str
    text: str


def create_app(settings: Settings) -> FastAPI:
    verifier = RemoteVerifier(
        settings.issuer,
        client_id=settings.client_id,
        client_secret=settings.client_secret,
        introspection_cache_seconds=0,  # revocation takes effect at once
    )
    guard = Guard(verifier, realm="notes")

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        yield
        await verifier.aclose()

    app = FastAPI(title="Notes (guarded by Consentry)", lifespan=lifespan)
    guard.install(app)  # RFC 6750 JSON error bodies
    notes: dict[int, Note] = {}
    ids = count(1)
    can_read = guard.requires(*settings.read_scopes)
    can_write = guard.requires(*settings.write_scopes)

    @app.get("/notes")
    async def list_notes(caller: Caller = Depends(can_read)) -> list[Note]:
        """Each caller (user, or service client) sees only its own notes."""
        return [n for n in notes.values() if n.owner == caller.subject]

    @app.post("/notes", status_code=201)
    async def add_note(body: NoteIn, caller: Caller = Depends(can_write)) -> Note:
        note = Note(id=next(ids), owner=caller.subject or caller.client_id, text=body.text)
        notes[note.id] = note
        return note

    @app.get("/whoami")
    async def whoami(caller: Caller = Depends(guard.requires())) -> dict[str, object]:
        return {
            "subject": caller.subject,
            "client_id": caller.client_id,
            "scopes": sorted(caller.scopes),
            "token_kind": caller.token_kind,
        }

    return app


app = create_app(Settings.from_env())
