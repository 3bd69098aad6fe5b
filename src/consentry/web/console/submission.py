"""The verification submission for sensitive and restricted scopes (VERIFY-6, LIMIT-2..4, SEC-5).

One form, two buttons: Save draft stores the answers; Submit stores them, runs the automatic
pre-checks on the home page and privacy policy (VERIFY-4, VERIFY-5, LIMIT-5) and submits. The
pre-checks fetch before anything is written, so no write lock waits on the network.
"""

from __future__ import annotations

import json
from typing import Annotated, Any

from fastapi import APIRouter
from starlette.datastructures import FormData
from starlette.responses import HTMLResponse, Response

from consentry.domain.permissions import Permission
from consentry.domain.scopes.advisor import narrower_alternatives
from consentry.domain.verification.service import MAX_DOC_LINKS, VIDEO_CHECKLIST, Submission
from consentry.domain.verification.states import EXPLAINED as STATES
from consentry.domain.verification.states import OPEN, ReviewState
from consentry.domain.verification.use_cases import choices, disallowed, reviewers_decide
from consentry.errors import DomainError, InvalidInput, LimitReached
from consentry.storage.tables import VerificationRequest
from consentry.web.console.checkers import CheckersDep
from consentry.web.console.common import Form, failed, lines, page, redirect, status_of, text, upload
from consentry.web.deps import Csrf, ProjectAccess, require

router = APIRouter()

View = Annotated[ProjectAccess, require(Permission.PROJECT_VIEW)]
Submit = Annotated[ProjectAccess, require(Permission.PROJECT_SUBMIT)]
TAB = "verification"
#: ``consentry scan --json`` reports are far smaller; anything larger is not one.
MAX_SCAN_REPORT = 1_000_000


def _answers(row: VerificationRequest | None) -> dict[str, Any]:
    """The form's values from a stored request (or the defaults of a first one)."""
    if row is None:
        return {
            "justifications": {},
            "doc_links": "",
            "video_url": "",
            "app_type": "",
            "task_automation": False,
            "server_access": True,
            "transfers": "",
            "human_access": "",
            "attested": False,
        }
    return {
        "justifications": dict(row.justifications or {}),
        "doc_links": "\n".join(row.doc_links or []),
        "video_url": row.video_url,
        "app_type": row.app_type,
        "task_automation": row.task_automation,
        "server_access": row.server_access,
        "transfers": row.transfers,
        "human_access": row.human_access,
        # An attestation is given for one submission; a new draft asks again.
        "attested": row.attested and row.state == ReviewState.DRAFT.value,
    }


def _show(access: ProjectAccess, typed: dict[str, Any] | None = None, **context: Any) -> HTMLResponse:
    projects = access.console.projects
    catalogue = projects.catalogue
    project = access.project
    by_class = projects.scopes_by_class(project)
    risky = [catalogue.get(s) for s in (*by_class["restricted"], *by_class["sensitive"])]
    scopes = [
        (info, [n.name for n in narrower_alternatives(catalogue, info)]) for info in risky if info is not None
    ]
    latest = projects.repo.latest_request(project.id)
    locked = latest is not None and ReviewState(latest.state) in OPEN
    apis = {info.api for info, _ in scopes}
    return page(
        access,
        "verification.html",
        tab=TAB,
        scopes=scopes,
        form=typed if typed is not None else _answers(latest),
        latest=latest,
        locked=locked,
        state_explained=STATES[ReviewState(latest.state)] if latest else "",
        app_types=choices(apis),
        disallowed_uses=disallowed(apis),
        reviewers_decide=reviewers_decide(apis),
        checklist=VIDEO_CHECKLIST,
        max_links=MAX_DOC_LINKS,
        scan_report=latest.scan_report if latest is not None and latest.state == ReviewState.DRAFT else None,
        **context,
    )


@router.get("/console/projects/{project}/verification")
def verification_page(access: View, done: str = "") -> HTMLResponse:
    return _show(access, done=done)


def _typed(form: FormData, scopes: list[str]) -> dict[str, Any]:
    return {
        "justifications": {
            s: {"usage": text(form, f"usage:{s}"), "why_not_narrower": text(form, f"why:{s}")} for s in scopes
        },
        "doc_links": text(form, "doc_links"),
        "video_url": text(form, "video_url"),
        "app_type": text(form, "app_type"),
        "task_automation": text(form, "task_automation") == "on",
        "server_access": text(form, "server_access") == "on",
        "transfers": text(form, "transfers"),
        "human_access": text(form, "human_access"),
        "attested": text(form, "attested") == "on",
    }


def _scan_report(form: FormData) -> dict[str, Any] | None:
    data = upload(form, "scan_report", "scan report")
    if data is None:
        return None
    if len(data) > MAX_SCAN_REPORT:
        raise InvalidInput(
            "invalid_scan_report", f"The scan report has {len(data)} bytes; attach at most 1 MB."
        )
    try:
        report = json.loads(data)
    except (ValueError, UnicodeDecodeError, RecursionError):  # RecursionError: [[[...]]] nested deep
        raise InvalidInput(
            "invalid_scan_report",
            "The scan report is not JSON: attach the output of `consentry scan --json`.",
        ) from None
    if not isinstance(report, dict) or not isinstance(report.get("scopes"), list):
        raise InvalidInput(
            "invalid_scan_report",
            "The file is JSON but not a scan report: attach the output of `consentry scan PATH --json`.",
        )
    return report


@router.post("/console/projects/{project}/verification")
def save_submission(_: Csrf, access: Submit, checkers: CheckersDep, form: Form) -> Response:
    project = access.project
    by_class = access.console.projects.scopes_by_class(project)
    typed = _typed(form, [*by_class["restricted"], *by_class["sensitive"]])
    submitting = text(form, "action") == "submit"
    try:
        links = lines(typed["doc_links"])
        if len(links) > MAX_DOC_LINKS:
            raise LimitReached(
                f"Give at most {MAX_DOC_LINKS} documentation links; you gave {len(links)}. "
                "Keep the pages that show the features using these scopes."
            )
        answers = Submission(
            justifications=typed["justifications"],
            doc_links=links,
            video_url=typed["video_url"],
            app_type=typed["app_type"],
            task_automation=typed["task_automation"],
            server_access=typed["server_access"],
            transfers=typed["transfers"],
            human_access=typed["human_access"],
            attested=typed["attested"],
            scan_report=_scan_report(form),
        )
        # Network first, while nothing is written yet; not at all when the brand would refuse it.
        prechecks = _prechecks(access, checkers) if submitting and _brand_ready(access) else None
        verification = access.console.verification
        verification.save(project, answers)
        if submitting:
            verification.submit(project, prechecks)
    except DomainError as exc:
        return failed(access, exc, lambda **kw: _show(access, typed, **kw))
    return redirect(project.name, TAB if not submitting else "", done="submitted" if submitting else "draft")


def _brand_ready(access: ProjectAccess) -> bool:
    status = status_of(access)
    return status.needed != "none" and not any(m.section in ("brand", "domains") for m in status.missing)


def _prechecks(access: ProjectAccess, checkers: CheckersDep) -> list[dict[str, Any]]:
    project = access.project
    proofs = access.console.projects.repo.domain_proofs(project.id)
    return checkers.prechecks(
        app_name=project.app_name or project.name,
        home_page=project.home_page,
        privacy_policy=project.privacy_policy,
        terms=project.terms,
        verified_domains={p.domain for p in proofs if p.verified_at is not None},
    )
