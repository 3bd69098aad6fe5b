"""Request and response models of the reviewers' API (``/api/v1/review``): the queue, a review
side by side, decisions and security assessments. The console's models, which these build on,
are in ``models.py``; the same bounds apply.
"""

from __future__ import annotations

import datetime as dt
from typing import Literal

from pydantic import BaseModel, Field

from consentry.web.api.models import (
    ConsentScreenOut,
    DomainOut,
    LongText,
    Name,
    RequestOut,
    Scope,
    ScopesOut,
    StatusOut,
    Strict,
)


class ApproveIn(Strict):
    scopes: list[Scope] | None = Field(
        default=None, max_length=100, description="Approve only these; all requested when left out"
    )


class RejectIn(Strict):
    reasons: list[LongText] = Field(min_length=1, max_length=20)


class AssessmentIn(Strict):
    assessor: Name
    tier: Literal[1, 2, 3] = Field(description="1 self-assessment, 2 lab-verified scan, 3 full lab test")
    letter_date: dt.date
    scopes: list[Scope] = Field(min_length=1, max_length=100)
    deletion_checked: bool


class AssessmentOut(BaseModel):
    assessor: str
    tier: int
    letter_date: dt.date
    lapses_on: dt.date
    scopes: list[str]
    deletion_checked: bool
    recorded_by: str


class QueueItem(BaseModel):
    project: str
    app_name: str
    state: str
    scopes: list[str]
    needed: str = Field(description="restricted if any requested scope is restricted, else sensitive")
    submitted_at: int | None
    age_days: int = Field(description="Whole days since submission")
    waiting_since: int | None


class Queue(BaseModel):
    requests: list[QueueItem]


class SideBySide(BaseModel):
    declared: list[str]
    requested: list[str]
    in_code: list[str] = Field(description="Scopes the attached scan report found in the source")
    suggested: list[str] = Field(description="The scan report's narrowest cover of the operations found")


class ReviewDetail(BaseModel):
    project: str
    consent_screen: ConsentScreenOut
    status: str
    user_type: str
    scopes: ScopesOut
    side_by_side: SideBySide
    domains: list[DomainOut]
    request: RequestOut
    verification: StatusOut
    assessments: list[AssessmentOut]
    video_checklist: list[str]
    app_type_label: str | None


class RequestState(BaseModel):
    project: str
    state: str
    approved_scopes: list[str]
    reasons: list[str]
