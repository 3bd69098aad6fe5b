"""The reviewers' side of verification (VERIFY-7, VERIFY-9, SEC-5): the queue and the decisions.

Every action checks that the actor is a reviewer (or the operator), moves the request through
states.py, leaves an audit event and mails the developer contacts, like the developer's side
(service.py) does.
"""

from __future__ import annotations

import datetime as dt

from consentry.domain.audit.tags import AuditTag
from consentry.domain.permissions import Permission
from consentry.domain.verification import notices
from consentry.domain.verification.service import Verification, app_name, text_field
from consentry.domain.verification.states import OPEN, Action, transition
from consentry.domain.verification.status import DAY
from consentry.errors import Forbidden, InvalidInput
from consentry.storage.tables import Project, ReviewMessage, SecurityAssessment, VerificationRequest
from consentry.storage.tables.base import now


class Review:
    def __init__(self, verification: Verification) -> None:
        self.verification = verification
        self.projects = verification.projects
        self.repo = verification.repo
        self.actor = verification.actor
        self.catalogue = verification.catalogue

    def _reviewer(self) -> None:
        if not (self.actor.is_operator or self.actor.platform_role == "reviewer"):
            raise Forbidden("only reviewers can do this")

    def queue(self, states: list[str] | None = None) -> list[tuple[VerificationRequest, Project]]:
        self._reviewer()
        wanted = states or [s.value for s in OPEN]
        out = []
        for r in self.repo.requests(wanted):
            project = self.repo.project_by_id(r.project_id)
            if project is not None:
                out.append((r, project))
        return out

    def reviewed(self, name: str) -> tuple[Project, VerificationRequest]:
        self._reviewer()
        project = self.projects.get(name, Permission.PROJECT_VIEW)
        return project, self.verification.open_request(project)

    def _deciding(self, name: str) -> tuple[Project, VerificationRequest]:
        project, row = self.reviewed(name)
        self._independent(project, row)
        return project, row

    def _independent(self, project: Project, row: VerificationRequest | None = None) -> None:
        """No one decides on their own app: a reviewer who is a member of the project, or who
        submitted the request, may read it but not act on it (the operator's CLI acts for the platform)."""
        uid = self.actor.user_id
        member = uid is not None and self.repo.role_of(project.id, uid) is not None
        if member or (row is not None and row.submitted_by == self.actor.email):
            raise Forbidden(
                "you are a member of this project: another reviewer must decide on it",
                code="conflict_of_interest",
            )

    def start(self, name: str) -> VerificationRequest:
        project, row = self._deciding(name)
        transition(self.repo, row, Action.START)
        row.updated_at = now()
        self.repo.audit(AuditTag.REVIEW_START, self.actor, {"project": project.name, "request": row.id})
        return row

    def ask(self, name: str, message: str) -> VerificationRequest:
        project, row = self._deciding(name)
        text = text_field(message, "message")
        transition(self.repo, row, Action.ASK)
        row.waiting_since = row.updated_at = now()
        self.repo.add(ReviewMessage(request_id=row.id, author=self.actor.email, side="reviewer", body=text))
        self.verification.event(
            project, row, AuditTag.REVIEW_ASK, notices.question(app_name(project), project.name, text)
        )
        return row

    def approve(self, name: str, scopes: list[str] | None = None) -> VerificationRequest:
        """Approve all the request's scopes, or only ``scopes``; the others stay unapproved."""
        project, row = self._deciding(name)
        asked = list(row.scopes or [])
        chosen = [self.verification.scope_uri(s) for s in scopes] if scopes is not None else asked
        if not chosen:  # an empty choice must never read as "all of them"
            raise InvalidInput("invalid_scope", "tick at least one scope to approve, or reject the request")
        extra = [s for s in chosen if s not in asked]
        if extra:
            raise InvalidInput("invalid_scope", "not in the request: " + ", ".join(extra))
        transition(self.repo, row, Action.APPROVE)
        row.approved_scopes = chosen
        row.decided_at = row.updated_at = now()
        row.waiting_since = None
        project.approved_scopes = sorted(set(project.approved_scopes or []) | set(chosen))
        self.verification.event(
            project,
            row,
            AuditTag.REVIEW_APPROVE,
            notices.approved(app_name(project), project.name, chosen),
            scopes=chosen,
        )
        return row

    def reject(self, name: str, reasons: list[str]) -> VerificationRequest:
        project, row = self._deciding(name)
        texts = [text_field(r, "reason") for r in reasons if r.strip()]
        if not texts:
            raise InvalidInput("invalid_request", "say why the request is rejected")
        transition(self.repo, row, Action.REJECT)
        row.reasons = texts
        row.decided_at = row.updated_at = now()
        self.verification.event(
            project, row, AuditTag.REVIEW_REJECT, notices.rejected(app_name(project), project.name, texts)
        )
        return row

    def record_assessment(
        self,
        name: str,
        *,
        assessor: str,
        tier: int,
        letter_date: dt.date,
        scopes: list[str],
        deletion_checked: bool,
    ) -> SecurityAssessment:
        """SEC-5, SEC-8: the letter of validation a reviewer saw; it lapses 12 months after its date."""
        self._reviewer()
        project = self.projects.get(name, Permission.PROJECT_VIEW)
        self._independent(project)
        if tier not in (1, 2, 3):
            raise InvalidInput(
                "invalid_tier", "the tier is 1 (self-assessment), 2 (lab-verified scan) or 3 (lab test)"
            )
        if not assessor.strip() or len(assessor) > 200:
            raise InvalidInput("invalid_assessor", "name the assessor (at most 200 characters)")
        when = int(
            dt.datetime(letter_date.year, letter_date.month, letter_date.day, tzinfo=dt.UTC).timestamp()
        )
        if when > now() + DAY:
            raise InvalidInput("invalid_date", "the letter of validation cannot be dated in the future")
        uris = [self.verification.scope_uri(s) for s in scopes]
        not_restricted = [
            s for s in uris if (i := self.catalogue.get(s)) is None or i.scope_class != "restricted"
        ]
        if not uris:
            raise InvalidInput("invalid_scope", "name the restricted scopes the assessment covers")
        if not_restricted:
            raise InvalidInput(
                "invalid_scope", "an assessment covers restricted scopes: " + ", ".join(not_restricted)
            )
        if not deletion_checked:
            raise InvalidInput(
                "deletion_unchecked",
                "the assessment must check that the app deletes user data on request (SEC-8)",
            )
        row = SecurityAssessment(
            project_id=project.id,
            assessor=assessor.strip(),
            tier=tier,
            letter_date=when,
            scopes=uris,
            deletion_checked=True,
            recorded_by=self.actor.email,
        )
        self.repo.add(row)
        self.repo.audit(
            AuditTag.ASSESSMENT_RECORD, self.actor, {"project": project.name, "tier": tier, "scopes": uris}
        )
        return row
