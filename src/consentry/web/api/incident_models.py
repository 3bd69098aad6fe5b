"""Request and response models of the incident routes (SEC-6).

Bounds sit above the domain's own (domain/incidents/form.py), so an over-long field is refused by
the domain with its own code and message; the schema only keeps megabyte strings and NULs out.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, Field

from consentry.domain.incidents.form import MAX_USERS
from consentry.web.api import models as m

When = Annotated[
    str,
    Field(max_length=40, description="UTC unless an offset is given: `2026-05-01 14:30`, ISO 8601"),
]
State = Literal["reported", "acknowledged", "resolved", "closed_no_finding"]


class IncidentIn(m.Strict):
    summary: Annotated[m.LongText, Field(max_length=400, description="One line, at most 200 characters")]
    details: Annotated[m.LongText, Field(description="What happened, at most 5,000 characters")]
    detected_at: When
    certainty: Literal["suspected", "confirmed"]
    affected: Annotated[
        m.LongText, Field(description="Which data, scopes and users; at most 2,000 characters")
    ]
    affected_users: Annotated[int, Field(ge=0, le=MAX_USERS)] | None = Field(
        default=None, description="A rough count; null when unknown"
    )
    containment: m.LongText = ""
    statement: Literal["none", "planned", "made"] = Field(
        default="none", description="A public statement: none planned, planned, or already made"
    )
    statement_at: When = ""


class NoteIn(m.Strict):
    note: Annotated[m.LongText, Field(description="At most 3,000 characters")]


class AcknowledgeIn(m.Strict):
    note: m.LongText = ""


class ResolveIn(m.Strict):
    note: Annotated[m.LongText, Field(description="How it ended; mailed to the project's contacts")]
    outcome: Literal["resolved", "no_finding"] = "resolved"


class NoteOut(BaseModel):
    id: int
    side: Literal["platform", "developer"]
    author: str
    body: str
    action: str = Field(description="The state move it came with, or empty for a plain note")
    at: int


class IncidentOut(BaseModel):
    id: int
    project: str
    app_name: str
    state: State
    state_label: str
    summary: str
    certainty: Literal["suspected", "confirmed"]
    detected_at: int
    reported_at: int
    reported_by: str
    affected_users: int | None
    statement: Literal["none", "planned", "made"]
    statement_at: int | None
    security_contact: str
    acknowledged_at: int | None
    acknowledged_by: str
    closed_at: int | None
    closed_by: str
    updated_at: int


class IncidentDetail(IncidentOut):
    explained: str
    details: str
    affected: str
    containment: str
    notes: list[NoteOut]


class IncidentList(BaseModel):
    incidents: list[IncidentOut]


class QueueItem(IncidentOut):
    age_seconds: int = Field(description="Since the report (open) or until the close (closed)")
    overdue: bool = Field(description="Reported and not acknowledged within 24 hours")


class Queue(BaseModel):
    incidents: list[QueueItem]
    counts: dict[str, int]
