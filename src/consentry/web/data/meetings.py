"""``/data/v1/meetings``: spaces, participants, and a real-time media stream."""

from __future__ import annotations

import json
from collections.abc import Iterator

from fastapi import APIRouter, Query, Request
from fastapi.responses import StreamingResponse
from pydantic import BaseModel, Field

from consentry.domain.data import meetings
from consentry.domain.data.access import DataAccess
from consentry.storage.tables import MeetingSpace
from consentry.web.data.operation import described, logged_unit, operation

router = APIRouter(prefix="/data/v1/meetings", tags=["meetings"])


class Space(BaseModel):
    id: str
    meeting_code: str
    meeting_uri: str
    access_type: str
    created_at: int


class SpaceList(BaseModel):
    spaces: list[Space]


class NewSpace(BaseModel):
    access_type: str = Field(default="trusted", pattern="^(open|trusted|restricted)$")


class Participant(BaseModel):
    display_name: str
    email: str
    joined_at: int
    left_at: int | None


class ParticipantList(BaseModel):
    participants: list[Participant]


def _space(request: Request, s: MeetingSpace) -> Space:
    uri = str(request.base_url).rstrip("/") + "/meet/" + s.meeting_code
    return Space(
        id=s.public_id,
        meeting_code=s.meeting_code,
        meeting_uri=uri,
        access_type=s.access_type,
        created_at=s.created_at,
    )


@router.get("/spaces", **described("meetings.spaces.list", response_model=SpaceList))
def list_spaces(request: Request, access: DataAccess = operation("meetings.spaces.list")) -> SpaceList:
    with logged_unit(request, access) as db:
        return SpaceList(spaces=[_space(request, s) for s in meetings.list_spaces(db, access)])


@router.post("/spaces", status_code=201, **described("meetings.spaces.create", response_model=Space))
def create_space(
    request: Request, body: NewSpace, access: DataAccess = operation("meetings.spaces.create")
) -> Space:
    with logged_unit(request, access, 201) as db:
        return _space(request, meetings.create_space(db, access, body.access_type))


@router.get("/spaces/{space_id}", **described("meetings.spaces.get", response_model=Space))
def get_space(
    request: Request, space_id: str, access: DataAccess = operation("meetings.spaces.get")
) -> Space:
    with logged_unit(request, access) as db:
        return _space(request, meetings.get_space(db, access, space_id))


@router.get(
    "/spaces/{space_id}/participants",
    **described("meetings.participants.list", response_model=ParticipantList),
)
def participants(
    request: Request, space_id: str, access: DataAccess = operation("meetings.participants.list")
) -> ParticipantList:
    with logged_unit(request, access) as db:
        rows = meetings.participants(db, access, space_id)
        return ParticipantList(
            participants=[
                Participant(
                    display_name=p.display_name, email=p.email, joined_at=p.joined_at, left_at=p.left_at
                )
                for p in rows
            ]
        )


@router.get(
    "/spaces/{space_id}/media",
    **described(
        "meetings.media.stream",
        response_class=StreamingResponse,
        responses={
            200: {"content": {"application/x-ndjson": {}}, "description": "Newline-delimited JSON frames"}
        },
    ),
)
def media(
    request: Request,
    space_id: str,
    access: DataAccess = operation("meetings.media.stream"),
    frames: int = Query(default=50, ge=1, le=1000, description="How many audio/video frame pairs to stream"),
) -> StreamingResponse:
    with logged_unit(request, access) as db:
        meetings.get_space(db, access, space_id)

    def stream() -> Iterator[bytes]:
        for frame in meetings.media_frames(space_id, frames):
            yield json.dumps(frame).encode() + b"\n"

    return StreamingResponse(stream(), media_type="application/x-ndjson")
