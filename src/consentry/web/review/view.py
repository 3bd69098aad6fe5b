"""What the review page shows, gathered from the services in one place (VERIFY-6, VERIFY-7, SEC-5).

The template only lays out what is built here: the scopes with the developer's answers, the
scan comparison, the pre-check evidence, the brand and the security assessment. A stored
submission is the developer's input, so everything read from its JSON is checked for shape.
Plain Python, no web framework: ``consentry review show`` prints the same.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from consentry.domain.scopes.advisor import narrower_alternatives
from consentry.domain.scopes.catalogue import CLASSES, Catalogue
from consentry.domain.verification.exceptions import EXPLAINED as EXEMPTIONS
from consentry.domain.verification.review import Review
from consentry.domain.verification.service import VIDEO_CHECKLIST, Verification
from consentry.domain.verification.states import EXPLAINED, MOVES, Action, ReviewState
from consentry.domain.verification.status import ASSESSMENT_DAYS, DAY, VerificationStatus
from consentry.domain.verification.use_cases import USE_CASES
from consentry.storage.tables import Client, Project, ReviewMessage, SecurityAssessment, VerificationRequest
from consentry.storage.tables.base import now
from consentry.web.review.listing import STATE_LABELS, age_days, day

APP_TYPES = {key: label for cases in USE_CASES.values() for key, label in cases.items()}
TIERS = {1: "Tier 1: self-assessment", 2: "Tier 2: lab-verified scan", 3: "Tier 3: full lab test"}
#: The same, shorter, for the form's drop-down.
TIER_CHOICES = {1: "1 · self-assessment", 2: "2 · lab-verified scan", 3: "3 · full lab test"}


def _date(timestamp: int) -> dt.date:
    return dt.datetime.fromtimestamp(timestamp, dt.UTC).date()


# --- the review page -------------------------------------------------------------------------------


@dataclass(frozen=True)
class ScopeRow:
    """One requested scope with the developer's answers and the advisor's narrower alternatives."""

    uri: str
    name: str
    scope_class: str
    description: str
    usage: str
    why_not_narrower: str
    narrower: list[str]
    approved: bool


@dataclass(frozen=True)
class ScanRow:
    """One scope of the requested / declared / needed comparison."""

    scope: str
    scope_class: str
    requested: bool
    declared: bool
    needed: bool

    @property
    def mismatch(self) -> bool:
        """Declared but not needed, or needed but not declared: worth a reviewer's question."""
        return self.declared != self.needed


@dataclass(frozen=True)
class Precheck:
    code: str
    passed: bool
    message: str
    url: str
    status: str
    excerpt: str


@dataclass(frozen=True)
class AssessmentView:
    row: SecurityAssessment
    letter_on: str
    lapses_on: str
    days_left: int
    tier_label: str

    @property
    def lapsed(self) -> bool:
        return self.days_left < 0


@dataclass
class ReviewView:
    project: Project
    request: VerificationRequest
    status: VerificationStatus
    scopes: list[ScopeRow]
    declared: dict[str, list[str]]
    scan: list[ScanRow] | None
    scan_summary: dict[str, Any]
    prechecks: list[Precheck]
    domains: list[tuple[str, bool, str]]
    clients: list[Client]
    messages: list[ReviewMessage]
    assessment: AssessmentView | None
    older_assessments: list[AssessmentView]
    restricted: list[str]
    app_type: str
    age_days: int | None
    can: dict[str, bool] = field(default_factory=dict)
    video_checklist: tuple[str, ...] = VIDEO_CHECKLIST

    @property
    def state_label(self) -> str:
        return STATE_LABELS.get(self.request.state, self.request.state)

    @property
    def state_explained(self) -> str:
        return EXPLAINED[ReviewState(self.request.state)]

    @property
    def needed(self) -> str:
        classes = {s.scope_class for s in self.scopes}
        return "restricted" if "restricted" in classes else "sensitive" if classes else "none"

    @property
    def exemptions(self) -> list[tuple[str, str]]:  # (code, plain words)
        """VERIFY-10: the exceptions the project's facts match, in plain words."""
        return [(e.value, EXEMPTIONS[e]) for e in self.status.exemptions]


def _dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _strings(value: Any) -> list[str]:
    return [v for v in value if isinstance(v, str)] if isinstance(value, list) else []


def _answer(justifications: Any, scope: str, key: str) -> str:
    answer = justifications.get(scope) if isinstance(justifications, dict) else None
    value = answer.get(key) if isinstance(answer, dict) else None
    return value if isinstance(value, str) else ""


def scope_rows(catalogue: Catalogue, project: Project, row: VerificationRequest) -> list[ScopeRow]:
    approved = set(project.approved_scopes or [])
    out = []
    for uri in _strings(row.scopes):
        info = catalogue.get(uri)
        narrower = [n.name for n in narrower_alternatives(catalogue, info)] if info else []
        out.append(
            ScopeRow(
                uri=uri,
                name=info.name if info else uri,
                scope_class=info.scope_class if info else "restricted",
                description=info.description if info else "Not in the catalogue.",
                usage=_answer(row.justifications, uri, "usage"),
                why_not_narrower=_answer(row.justifications, uri, "why_not_narrower"),
                narrower=narrower,
                approved=uri in approved,
            )
        )
    rank = {c: i for i, c in enumerate(reversed(CLASSES))}  # restricted first
    return sorted(out, key=lambda r: (rank.get(r.scope_class, 0), r.name))


def scan_rows(catalogue: Catalogue, project: Project, report: Any) -> list[ScanRow] | None:
    """Requested (in the code), declared (on the consent screen), needed (the advisor) side by side."""
    if not isinstance(report, dict):
        return None

    def uri(value: str) -> str:
        info = catalogue.lookup(value)
        return info.uri if info else value

    found = report.get("scopes")
    requested = {
        uri(s.get("uri") or s.get("scope") or "")
        for s in (found if isinstance(found, list) else [])
        if isinstance(s, dict) and isinstance(s.get("uri") or s.get("scope"), str)
    }
    advice = _dict(report.get("advice"))
    needed = {uri(s) for s in _strings(advice.get("suggested"))}
    declared = set(project.declared_scopes or [])
    rank = {c: i for i, c in enumerate(reversed(CLASSES))}
    rows = []
    for scope in requested | needed | declared:
        info = catalogue.get(scope)
        rows.append(
            ScanRow(
                scope=info.name if info else scope,
                scope_class=info.scope_class if info else "unknown",
                requested=scope in requested,
                declared=scope in declared,
                needed=scope in needed,
            )
        )
    return sorted(rows, key=lambda r: (rank.get(r.scope_class, -1), r.scope))


def scan_summary(report: Any) -> dict[str, Any]:
    if not isinstance(report, dict):
        return {}
    advice = _dict(report.get("advice"))
    return {
        "path": report.get("path") if isinstance(report.get("path"), str) else "",
        "files": report.get("files_scanned") if isinstance(report.get("files_scanned"), int) else None,
        "summary": advice.get("summary") if isinstance(advice.get("summary"), str) else "",
        "conditions": _strings(advice.get("conditions")),
    }


def prechecks(stored: Any) -> list[Precheck]:
    out = []
    for p in stored if isinstance(stored, list) else []:
        if not isinstance(p, dict):
            continue
        status = p.get("status")
        out.append(
            Precheck(
                code=str(p.get("code") or ""),
                passed=p.get("passed") is True,
                message=str(p.get("message") or ""),
                url=str(p.get("url") or ""),
                status="" if status is None else str(status),
                excerpt=str(p.get("excerpt") or ""),
            )
        )
    return out


def assessment_view(row: SecurityAssessment, at: int) -> AssessmentView:
    lapses = row.letter_date + ASSESSMENT_DAYS * DAY
    return AssessmentView(
        row=row,
        letter_on=day(row.letter_date),
        lapses_on=day(lapses),
        days_left=(_date(lapses) - _date(at)).days,
        tier_label=TIERS.get(row.tier, f"Tier {row.tier}"),
    )


def allowed(action: Action, state: str) -> bool:
    return ReviewState(state) in MOVES[action][0]


def review(verification: Verification, name: str, at: int | None = None) -> ReviewView:
    """Everything a reviewer needs to decide on ``name``'s latest submitted request."""
    at = at if at is not None else now()
    project, row = Review(verification).reviewed(name)
    repo, catalogue = verification.repo, verification.catalogue
    proofs = {p.domain: p for p in repo.domain_proofs(project.id)}
    domains = [
        (d, d in proofs and proofs[d].verified_at is not None, proofs[d].method if d in proofs else "")
        for d in project.authorized_domains or []
    ]
    assessments = [assessment_view(a, at) for a in repo.assessments(project.id)]
    declared = verification.projects.scopes_by_class(project)
    return ReviewView(
        project=project,
        request=row,
        status=verification.status(project),
        scopes=scope_rows(catalogue, project, row),
        declared=declared,
        scan=scan_rows(catalogue, project, row.scan_report),
        scan_summary=scan_summary(row.scan_report),
        prechecks=prechecks(row.prechecks),
        domains=domains,
        clients=repo.clients(project.id),
        messages=repo.messages(row.id),
        assessment=assessments[0] if assessments else None,
        older_assessments=assessments[1:],
        restricted=declared["restricted"],
        app_type=APP_TYPES.get(row.app_type, row.app_type),
        age_days=age_days(row, at),
        can={
            a.value: allowed(a, row.state) for a in (Action.START, Action.APPROVE, Action.REJECT, Action.ASK)
        },
    )
