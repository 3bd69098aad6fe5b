"""App verification: domain proofs, the submission, reviewers' actions, security assessments.

Every state change goes through states.move (one table of allowed moves), leaves an audit event
and puts its mail in the outbox in the same transaction, whatever the channel (web, API, CLI).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from consentry.domain.audit.tags import AuditTag
from consentry.domain.permissions import Permission
from consentry.domain.projects import branding
from consentry.domain.projects.service import Projects, brand_of
from consentry.domain.verification import notices
from consentry.domain.verification.domain_ownership import ProofResult, new_challenge
from consentry.domain.verification.exceptions import ExemptionFacts, exemptions
from consentry.domain.verification.states import OPEN, Action, ReviewState, transition
from consentry.domain.verification.status import Assessment, ProjectFacts, VerificationStatus, evaluate
from consentry.domain.verification.use_cases import choices, refusal
from consentry.errors import Conflict, InvalidInput, LimitReached, NotFound
from consentry.storage.tables import (
    DomainProof,
    Project,
    ReviewMessage,
    VerificationRequest,
)
from consentry.storage.tables.base import now

MAX_DOC_LINKS = 3
MAX_TEXT = 5000
#: Reminder mails before an assessment lapses (days), sent once each by the janitor (VERIFY-9).
REMINDER_DAYS = (60, 30, 7)
#: What the demonstration video must show (VERIFY-6); the form and the reviewer page list it.
VIDEO_CHECKLIST = (
    "the consent flow, in English",
    "the app's name on the consent screen",
    "the client ID in the browser's address bar",
    "the feature that uses each requested scope",
    "each OAuth client, if the project has several",
)


@dataclass
class Submission:
    """The developer's answers (VERIFY-6, LIMIT-2..4); saved as a draft until submitted."""

    justifications: dict[str, dict[str, str]] = field(default_factory=dict)
    doc_links: list[str] = field(default_factory=list)
    video_url: str = ""
    app_type: str = ""
    task_automation: bool = False
    server_access: bool = True
    transfers: str = ""
    human_access: str = ""
    attested: bool = False
    scan_report: dict[str, Any] | None = None


class Verification:
    def __init__(self, projects: Projects) -> None:
        self.projects = projects
        self.repo = projects.repo
        self.actor = projects.actor
        self.catalogue = projects.catalogue

    # --- status ---------------------------------------------------------------------------------
    def facts(self, project: Project, at: int | None = None) -> ProjectFacts:
        by_class = self.projects.scopes_by_class(project)
        latest = self.repo.latest_request(project.id)
        approved_brand = None
        last_approved = self.repo.latest_request(project.id, state=ReviewState.APPROVED.value)
        if last_approved is not None:
            approved_brand = last_approved.brand or None
        current = self._assessment(project)
        clients = self.repo.clients(project.id)
        return ProjectFacts(
            app_name=project.app_name,
            has_logo=project.logo_png is not None,
            support_email=project.support_email,
            home_page=project.home_page,
            privacy_policy=project.privacy_policy,
            authorized_domains=tuple(project.authorized_domains or []),
            verified_domains=frozenset(
                p.domain for p in self.repo.domain_proofs(project.id) if p.verified_at is not None
            ),
            developer_contacts=tuple(project.developer_contacts or []),
            declared={k: tuple(v) for k, v in by_class.items()},
            approved=frozenset(project.approved_scopes or []),
            exemptions=tuple(
                exemptions(
                    ExemptionFacts(
                        status=project.status,
                        user_type=project.user_type,
                        client_types=tuple(c.client_type for c in clients),
                        outside_users=self.repo.outside_consenters(project.id),
                    )
                )
            ),
            review_state=latest.state if latest else None,
            review_reasons=tuple(latest.reasons or []) if latest else (),
            brand_now=brand_of(project),
            brand_approved=approved_brand,
            server_access=latest.server_access if latest else True,
            assessment=current,
            now=at if at is not None else now(),
        )

    def status(self, project: Project) -> VerificationStatus:
        self.projects.get(project.name, Permission.PROJECT_VIEW)
        return evaluate(self.facts(project))

    def _assessment(self, project: Project) -> Assessment | None:
        rows = self.repo.assessments(project.id)
        if not rows:
            return None
        a = rows[0]
        return Assessment(letter_date=a.letter_date, scopes=frozenset(a.scopes or []), tier=a.tier)

    # --- domains (VERIFY-3) -----------------------------------------------------------------------
    def proof(self, project: Project, domain: str) -> DomainProof:
        """The challenge to publish for ``domain`` (created on first ask; the domain must be authorized)."""
        self.projects.get(project.name, Permission.PROJECT_EDIT)
        domain = branding.domain_name(domain)
        if domain not in (project.authorized_domains or []):
            raise InvalidInput("unauthorized_domain", f"add {domain} to the authorized domains first")
        for p in self.repo.domain_proofs(project.id):
            if p.domain == domain:
                return p
        row = DomainProof(project_id=project.id, domain=domain, challenge=new_challenge())
        self.repo.add(row)
        self.repo.flush()
        return row

    def record_proof(self, project: Project, domain: str, result: ProofResult) -> DomainProof:
        row = self.proof(project, domain)
        row.checked_at = now()
        row.last_error = "" if result.verified else result.message[:500]
        if result.verified:
            row.verified_at = row.checked_at
            row.method = result.method
            self.repo.audit(
                AuditTag.PROJECT_DOMAIN_VERIFY,
                self.actor,
                {"project": project.name, "domain": domain, "method": result.method},
            )
        return row

    # --- the submission (VERIFY-6) ----------------------------------------------------------------
    def draft(self, project: Project) -> VerificationRequest:
        """The request being written (a new draft when the last one is closed)."""
        self.projects.get(project.name, Permission.PROJECT_SUBMIT)
        latest = self.repo.latest_request(project.id)
        if latest is not None and latest.state == ReviewState.DRAFT.value:
            return latest
        if latest is not None and ReviewState(latest.state) in OPEN:
            return latest
        row = VerificationRequest(project_id=project.id, state=ReviewState.DRAFT.value)
        if latest is not None:  # start from the previous answers
            for key in (
                "justifications",
                "doc_links",
                "video_url",
                "app_type",
                "task_automation",
                "server_access",
                "transfers",
                "human_access",
            ):
                setattr(row, key, getattr(latest, key))
        self.repo.add(row)
        self.repo.flush()
        return row

    def save(self, project: Project, answers: Submission) -> VerificationRequest:
        row = self.draft(project)
        if row.state != ReviewState.DRAFT.value:
            raise Conflict("wrong_state", "the request is already submitted; answer the reviewers instead")
        risky = self._risky(project)
        for scope, answer in answers.justifications.items():
            if scope not in risky:
                raise InvalidInput(
                    "invalid_scope", f"{scope} is not a declared sensitive or restricted scope"
                )
            for key in ("usage", "why_not_narrower"):
                if len(answer.get(key, "")) > MAX_TEXT:
                    raise InvalidInput("too_long", f"answers are at most {MAX_TEXT} characters")
        links = [u.strip() for u in answers.doc_links if u.strip()]
        if len(links) > MAX_DOC_LINKS:
            raise LimitReached(f"at most {MAX_DOC_LINKS} documentation links")
        row.doc_links = [branding.public_url(u, field="documentation link") for u in links]
        row.video_url = (
            branding.public_url(answers.video_url, field="demonstration video")
            if answers.video_url.strip()
            else ""
        )
        allowed = choices({info.api for s in risky if (info := self.catalogue.get(s)) is not None})
        if answers.app_type and answers.app_type not in allowed:
            raise InvalidInput("invalid_app_type", refusal(answers.app_type, allowed))
        for text in (answers.transfers, answers.human_access):
            if len(text) > MAX_TEXT:
                raise InvalidInput("too_long", f"answers are at most {MAX_TEXT} characters")
        row.justifications = {
            s: {
                "usage": a.get("usage", "").strip(),
                "why_not_narrower": a.get("why_not_narrower", "").strip(),
            }
            for s, a in answers.justifications.items()
        }
        row.app_type = answers.app_type
        row.task_automation = answers.task_automation
        row.server_access = answers.server_access
        row.transfers = answers.transfers.strip()
        row.human_access = answers.human_access.strip()
        row.attested = answers.attested
        if answers.scan_report is not None:
            row.scan_report = answers.scan_report
        row.updated_at = now()
        return row

    def _risky(self, project: Project) -> list[str]:
        by_class = self.projects.scopes_by_class(project)
        return [*by_class["sensitive"], *by_class["restricted"]]

    def submit(self, project: Project, prechecks: list[dict[str, Any]] | None = None) -> VerificationRequest:
        """Submit the draft: every required answer given, the brand complete, prechecks stored."""
        row = self.draft(project)
        state = self.facts(project)
        status = evaluate(state)
        if status.needed == "none":
            raise InvalidInput(
                "nothing_to_verify", "the app asks only non-sensitive scopes: no review is needed"
            )
        blocking = [m for m in status.missing if m.section in ("brand", "domains")]
        if blocking:
            raise InvalidInput("incomplete", "before submitting: " + " ".join(m.message for m in blocking))
        risky = self._risky(project)
        problems = []
        for scope in risky:
            answer = (row.justifications or {}).get(scope, {})
            if not answer.get("usage") or not answer.get("why_not_narrower"):
                problems.append(f"say how {scope} is used and why a narrower scope is not enough")
        if not row.video_url:
            problems.append("give the demonstration video's link")
        if not row.attested:
            problems.append("attest that the data is never used for the prohibited uses (LIMIT-4)")
        if not row.transfers or not row.human_access:
            problems.append("declare to whom data is transferred and who may read it (LIMIT-2, LIMIT-3)")
        if problems:
            raise InvalidInput("incomplete", "before submitting: " + "; ".join(problems) + ".")
        transition(self.repo, row, Action.SUBMIT)
        row.scopes = risky
        row.brand = brand_of(project)
        row.prechecks = prechecks or []
        row.submitted_at = row.updated_at = now()
        row.submitted_by = self.actor.email
        row.reasons = []
        self.event(
            project, row, AuditTag.REVIEW_SUBMIT, notices.received(app_name(project), project.name, risky)
        )
        return row

    # --- the developer's side of the conversation (VERIFY-7) ----------------------------------------
    def answer(self, project: Project, message: str) -> VerificationRequest:
        self.projects.get(project.name, Permission.PROJECT_SUBMIT)
        row = self.open_request(project)
        text = text_field(message, "answer")
        transition(self.repo, row, Action.ANSWER)
        row.waiting_since = None
        row.updated_at = now()
        self.repo.add(ReviewMessage(request_id=row.id, author=self.actor.email, side="developer", body=text))
        self.repo.audit(AuditTag.REVIEW_ANSWER, self.actor, {"project": project.name, "request": row.id})
        return row

    def open_request(self, project: Project) -> VerificationRequest:
        """The latest submitted request (a new draft after a decision does not hide it)."""
        row = self.repo.latest_request(project.id, submitted=True)
        if row is None:
            raise NotFound("request", f"project {project.name!r} has no submitted verification request")
        return row

    # --- helpers -------------------------------------------------------------------------------------
    def scope_uri(self, scope: str) -> str:
        info = self.catalogue.lookup(scope.strip())
        if info is None:
            raise InvalidInput("invalid_scope", f"unknown scope {scope!r}")
        return info.uri

    def event(
        self,
        project: Project,
        row: VerificationRequest,
        tag: AuditTag,
        notice: notices.Notice,
        **data: object,
    ) -> None:
        """Audit the move and mail the developer contacts and the support email (VERIFY-7)."""
        self.repo.audit(
            tag, self.actor, {"project": project.name, "request": row.id, "state": row.state, **data}
        )
        to = sorted(
            {*(project.developer_contacts or []), *([project.support_email] if project.support_email else [])}
        )
        self.repo.mail(
            to, notice.subject, notice.body, str(tag), {"project": project.name, "request": row.id}
        )


def text_field(value: str, what: str) -> str:
    text = value.strip()
    if not text:
        raise InvalidInput("invalid_request", f"the {what} cannot be empty")
    if len(text) > MAX_TEXT:
        raise InvalidInput("too_long", f"the {what} is at most {MAX_TEXT} characters")
    return text


def app_name(project: Project) -> str:
    """The name users see: the consent screen's, or the project's until one is set."""
    return project.app_name or project.name
