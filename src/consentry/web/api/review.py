"""``/api/v1/review``: the reviewer console as JSON (VERIFY-6, VERIFY-7, VERIFY-9, SEC-5, SEC-8).

Every route needs the platform's ``review`` permission (``require_platform``); a developer, even
the project's owner, gets 403. Writes carry the ``X-CSRF-Token`` header like the console's. Each
action moves the request through ``domain/verification/states.py`` (a wrong state is 409), leaves
an audit event and mails the developer contacts, in the same transaction.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query

from consentry.domain.permissions import Permission
from consentry.domain.projects.service import Projects
from consentry.domain.verification.service import VIDEO_CHECKLIST
from consentry.domain.verification.states import ReviewState
from consentry.domain.verification.status import ASSESSMENT_DAYS, DAY
from consentry.domain.verification.use_cases import USE_CASES
from consentry.storage.tables import Project, SecurityAssessment, VerificationRequest
from consentry.storage.tables.base import now
from consentry.web.api import models as m
from consentry.web.api import review_models as rm
from consentry.web.api.console_common import (
    SESSION,
    Write,
    consent_screen_out,
    existing_domains,
    request_out,
    scopes_out,
    status_out,
)
from consentry.web.deps import Console, require_platform

router = APIRouter(
    prefix="/api/v1/review", tags=["review"], responses=m.ERRORS, dependencies=[Depends(SESSION)]
)
ProjectName = Annotated[str, Path(max_length=200, description="The project's name")]

Reviewer = Annotated[Console, require_platform(Permission.REVIEW)]


def _day(timestamp: int) -> dt.date:
    return dt.datetime.fromtimestamp(timestamp, dt.UTC).date()


def _needed(projects: Projects, scopes: list[str]) -> str:
    classes = {info.scope_class for s in scopes if (info := projects.catalogue.get(s)) is not None}
    return "restricted" if "restricted" in classes else "sensitive"


def _queue_item(console: Console, row: VerificationRequest, project: Project, at: int) -> rm.QueueItem:
    return rm.QueueItem(
        project=project.name,
        app_name=project.app_name,
        state=row.state,
        scopes=list(row.scopes or []),
        needed=_needed(console.projects, list(row.scopes or [])),
        submitted_at=row.submitted_at,
        age_days=max(0, (at - (row.submitted_at or row.created_at)) // DAY),
        waiting_since=row.waiting_since,
    )


def _assessment(row: SecurityAssessment) -> rm.AssessmentOut:
    return rm.AssessmentOut(
        assessor=row.assessor,
        tier=row.tier,
        letter_date=_day(row.letter_date),
        lapses_on=_day(row.letter_date + ASSESSMENT_DAYS * DAY),
        scopes=list(row.scopes or []),
        deletion_checked=row.deletion_checked,
        recorded_by=row.recorded_by,
    )


def _side_by_side(project: Project, row: VerificationRequest) -> rm.SideBySide:
    report = row.scan_report or {}
    found = report.get("scopes") if isinstance(report.get("scopes"), list) else []
    advice = report.get("advice") if isinstance(report.get("advice"), dict) else {}
    suggested = advice.get("suggested") if isinstance(advice, dict) else []
    return rm.SideBySide(
        declared=list(project.declared_scopes or []),
        requested=list(row.scopes or []),
        in_code=[str(s.get("uri") or s.get("scope")) for s in found or [] if isinstance(s, dict)],
        suggested=[str(s) for s in suggested or []],
    )


def _detail(console: Console, project: Project, row: VerificationRequest) -> rm.ReviewDetail:
    labels = {key: label for cases in USE_CASES.values() for key, label in cases.items()}
    return rm.ReviewDetail(
        project=project.name,
        consent_screen=consent_screen_out(project),
        status=project.status,
        user_type=project.user_type,
        scopes=scopes_out(console, project),
        side_by_side=_side_by_side(project, row),
        domains=existing_domains(console, project),
        request=request_out(console, row),
        verification=status_out(console, project),
        assessments=[_assessment(a) for a in console.projects.repo.assessments(project.id)],
        video_checklist=list(VIDEO_CHECKLIST),
        app_type_label=labels.get(row.app_type),
    )


def _state(project: str, row: VerificationRequest) -> rm.RequestState:
    return rm.RequestState(
        project=project,
        state=row.state,
        approved_scopes=list(row.approved_scopes or []),
        reasons=list(row.reasons or []),
    )


@router.get("/requests", response_model=rm.Queue, summary="The review queue, oldest first, with each age")
def queue(
    console: Reviewer,
    state: list[ReviewState] = Query(
        default=[], max_length=len(ReviewState), description="Filter; default: the open states"
    ),
) -> rm.Queue:
    at = now()
    rows = console.review.queue([s.value for s in state] or None)
    return rm.Queue(requests=[_queue_item(console, r, p, at) for r, p in rows])


@router.get(
    "/requests/{project}",
    response_model=rm.ReviewDetail,
    summary="Everything submitted, the pre-check evidence, the scan report and the scopes by class",
)
def show(project: ProjectName, console: Reviewer) -> rm.ReviewDetail:
    row_project, row = console.review.reviewed(project)
    return _detail(console, row_project, row)


@router.post(
    "/requests/{project}/start",
    response_model=rm.RequestState,
    responses=m.CONFLICT,
    summary="Pick the request up (submitted -> in review)",
)
def start(project: ProjectName, _: Write, console: Reviewer) -> rm.RequestState:
    return _state(project, console.review.start(project))


@router.post(
    "/requests/{project}/approve",
    response_model=rm.RequestState,
    responses=m.CONFLICT,
    summary="Approve all requested scopes, or only those listed",
)
def approve(project: ProjectName, body: rm.ApproveIn, _: Write, console: Reviewer) -> rm.RequestState:
    return _state(project, console.review.approve(project, body.scopes))


@router.post(
    "/requests/{project}/reject",
    response_model=rm.RequestState,
    responses=m.CONFLICT,
    summary="Reject, with the reasons the developer will read",
)
def reject(project: ProjectName, body: rm.RejectIn, _: Write, console: Reviewer) -> rm.RequestState:
    return _state(project, console.review.reject(project, body.reasons))


@router.post(
    "/requests/{project}/ask",
    response_model=rm.RequestState,
    responses=m.CONFLICT,
    summary="Ask the developer for more information (the request waits for the answer)",
)
def ask(project: ProjectName, body: m.MessageIn, _: Write, console: Reviewer) -> rm.RequestState:
    return _state(project, console.review.ask(project, body.message))


@router.post(
    "/requests/{project}/assessment",
    response_model=rm.AssessmentOut,
    status_code=201,
    summary="Record a security assessment's letter of validation (lapses after 12 months)",
)
def assessment(project: ProjectName, body: rm.AssessmentIn, _: Write, console: Reviewer) -> rm.AssessmentOut:
    row = console.review.record_assessment(
        project,
        assessor=body.assessor,
        tier=body.tier,
        letter_date=body.letter_date,
        scopes=list(body.scopes),
        deletion_checked=body.deletion_checked,
    )
    return _assessment(row)
