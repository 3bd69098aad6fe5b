"""Reporting a security incident and the platform tracking it (SEC-6).

Called alike by the console, ``/api/v1`` and the CLI. The project's owners and editors report
(``project:edit``) and add updates; viewers read. The platform's reviewers and operators
acknowledge, write notes and close. Every step is one transaction holding the change, its audit
event and its mails: the report reaches the security contact's outbox in the same commit that
stores it (the web and API views then wake the mailer; the CLI leaves it to the mail loop).

Two checks read before they write. The MAX_OPEN count and an update's "still open" are taken
with the project's (report) or the incident's (update) row locked on PostgreSQL, so concurrent
reports are counted one at a time and an update cannot slip in after a close commits. SQLite
takes no row locks: there two reports sent at the same instant may both pass the count (the
limit is a guard against a runaway script, not a security bound), and an update racing a close
may land as the close commits. The state moves themselves are always one conditional UPDATE.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import quote

from consentry.domain.actor import Actor
from consentry.domain.audit.tags import AuditTag
from consentry.domain.incidents import listing, notices
from consentry.domain.incidents.form import IncidentInput, clean, note
from consentry.domain.incidents.repository import IncidentRepository
from consentry.domain.incidents.states import (
    EXPLAINED,
    LABELS,
    OPEN,
    Action,
    IncidentState,
    transition,
)
from consentry.domain.permissions import Permission, granted
from consentry.domain.projects.service import Projects
from consentry.errors import Conflict, DomainError, Forbidden, LimitReached, NotFound
from consentry.storage.tables import IncidentNote, Project, SecurityIncident
from consentry.storage.tables.base import now

#: Open incidents a project may have at once: more is a script gone wrong, not more incidents.
MAX_OPEN = 20
#: The largest id an ``INTEGER`` primary key holds.
MAX_ID = 2**31 - 1
#: The states counted against MAX_OPEN, as stored.
OPEN_STATES = sorted(s.value for s in OPEN)


class ContactUnreachable(DomainError):
    """The security contact's address is refused by the outbox: a report nobody receives must not
    look sent, so nothing is stored and the reporter is told to write to the platform directly."""

    status = 503
    callers_fault = False

    def __init__(self, contact: str, reason: str) -> None:
        super().__init__(
            "security_contact_unreachable",
            f"The report was not stored: its mail to the platform's security contact ({contact!r}) "
            f"was refused ({reason}). Tell the platform's operators that CONSENTRY_SECURITY_CONTACT "
            "needs a valid address, and reach their security team another way meanwhile.",
        )


@dataclass(frozen=True)
class IncidentView:
    """One incident with its project and notes, as every page and command shows it."""

    incident: SecurityIncident
    project: Project
    notes: list[IncidentNote]

    @property
    def state(self) -> IncidentState:
        return IncidentState(self.incident.state)

    @property
    def label(self) -> str:
        return LABELS[self.state]

    @property
    def explained(self) -> str:
        return EXPLAINED[self.state]

    @property
    def is_open(self) -> bool:
        return self.state in OPEN

    @property
    def report_delay(self) -> int:
        """Seconds from detection to the report: "promptly" is measured by it."""
        return max(0, self.incident.reported_at - self.incident.detected_at)


def console_link(issuer: str, project: str, incident_id: int) -> str:
    return f"{issuer.rstrip('/')}/console/projects/{quote(project, safe='')}/incidents/{incident_id}"


def review_link(issuer: str, incident_id: int) -> str:
    return f"{issuer.rstrip('/')}/review/incidents/{incident_id}"


class Incidents:
    def __init__(
        self, projects: Projects, repo: IncidentRepository, *, security_contact: str, issuer: str
    ) -> None:
        self.projects = projects
        self.repo = repo
        self.actor: Actor = projects.actor
        self.contact = security_contact
        self.issuer = issuer

    # --- the project's side -----------------------------------------------------------------------
    def report(self, name: str, form: IncidentInput) -> SecurityIncident:
        """Store the report and mail it to the security contact, with a copy to the project."""
        project = self.projects.get(name, Permission.PROJECT_EDIT)
        at = now()
        report = clean(form, at)
        self.repo.lock_project(project.id)
        if self.repo.open_count(project.id, OPEN_STATES) >= MAX_OPEN:
            raise LimitReached(
                f"project {project.name!r} has {MAX_OPEN} open incidents: add updates to those instead"
            )
        row = SecurityIncident(
            project_id=project.id,
            state=IncidentState.REPORTED.value,
            summary=report.summary,
            details=report.details,
            certainty=report.certainty,
            detected_at=report.detected_at,
            affected=report.affected,
            affected_users=report.affected_users,
            containment=report.containment,
            statement=report.statement,
            statement_at=report.statement_at,
            reported_by=self.actor.email,
            reported_at=at,
            security_contact=self.contact,
            acknowledged_by="",
            closed_by="",
            updated_at=at,
        )
        self.repo.add(row)
        self.repo.flush()
        self._audit(AuditTag.INCIDENT_REPORT, row, project, certainty=row.certainty, mailed=self.contact)
        app = project.app_name or project.name
        contacts = self.contacts(project)
        sent = notices.reported(row, app, project.name, contacts, review_link(self.issuer, row.id))
        try:
            self._mail([self.contact], sent, AuditTag.INCIDENT_REPORT, row, project, required=True)
        except DomainError as err:
            raise ContactUnreachable(self.contact, err.message) from None
        copy = notices.received(row, app, project.name, self.contact, self._console(project, row))
        self._mail(contacts, copy, AuditTag.INCIDENT_REPORT, row, project)
        return row

    def of_project(self, name: str) -> tuple[Project, list[SecurityIncident]]:
        """The project's incidents, open ones first, newest first within each."""
        project = self.projects.get(name, Permission.PROJECT_VIEW)
        rows = [r for r, _p in self.repo.incidents(project_id=project.id)]
        rows.sort(key=lambda r: (IncidentState(r.state) not in OPEN, -r.reported_at, -r.id))
        return project, rows

    def open_count(self, name: str) -> int:
        """How many of the project's incidents are still open (the overview points at them)."""
        return self.repo.open_count(self.projects.get(name, Permission.PROJECT_VIEW).id, OPEN_STATES)

    def view(self, incident_id: int, project_name: str | None = None) -> IncidentView:
        return self._view(incident_id, project_name, Permission.PROJECT_VIEW)

    def update(self, incident_id: int, text: str, project_name: str | None = None) -> IncidentNote:
        """The project adds what it learnt (more affected, more contained) while the incident is open."""
        v = self._view(incident_id, project_name, Permission.PROJECT_EDIT)
        self.repo.incident(v.incident.id, lock=True)  # re-read under the row lock: a close waits
        body = note(text, "the update")
        if not v.is_open:
            raise Conflict(
                "wrong_state",
                f"incident #{v.incident.id} is {v.label.lower()}: report anything new as a new incident",
            )
        row = self._note(v.incident, body, side="developer")
        self._audit(AuditTag.INCIDENT_UPDATE, v.incident, v.project, note=row.id)
        app = v.project.app_name or v.project.name
        link = review_link(self.issuer, v.incident.id)
        sent = notices.developer_update(v.incident, app, v.project.name, self.actor.email, body, link)
        self._mail([self.contact], sent, AuditTag.INCIDENT_UPDATE, v.incident, v.project)
        return row

    # --- the platform's side ----------------------------------------------------------------------
    def queue(
        self, states: frozenset[IncidentState], project: str = ""
    ) -> tuple[list[tuple[SecurityIncident, Project]], dict[str, int]]:
        """For the platform's reviewers: the incidents in ``states`` (of one project if named) and
        the count per state. Every open one; of the closed, the CLOSED_SHOWN latest."""
        self._reviewer()
        pid = self.projects.get(project, Permission.PROJECT_VIEW).id if project else None
        wanted = sorted(s.value for s in states & OPEN)
        closed = sorted(s.value for s in states - OPEN)
        rows = self.repo.incidents(project_id=pid, states=wanted) if wanted else []
        if closed:
            rows += self.repo.incidents(
                project_id=pid, states=closed, order="closed", limit=listing.CLOSED_SHOWN
            )
        return rows, self.repo.state_counts(pid)

    def acknowledge(self, incident_id: int, text: str = "") -> IncidentView:
        v = self._reviewing(incident_id)
        body = note(text) if text.strip() else ""
        at = now()
        values = {"acknowledged_at": at, "acknowledged_by": self.actor.email, "updated_at": at}
        transition(self.repo, v.incident, Action.ACKNOWLEDGE, values)
        if body:
            self._note(v.incident, body, side="platform", action=IncidentState.ACKNOWLEDGED.value)
        self._audit(AuditTag.INCIDENT_ACKNOWLEDGE, v.incident, v.project)
        app = v.project.app_name or v.project.name
        sent = notices.acknowledged(v.incident, app, body, self._console(v.project, v.incident))
        self._mail(self.contacts(v.project), sent, AuditTag.INCIDENT_ACKNOWLEDGE, v.incident, v.project)
        return self._view(incident_id, None, Permission.PROJECT_VIEW)

    def add_note(self, incident_id: int, text: str) -> IncidentNote:
        """A note from the platform, in any state (a post-mortem may come after the close)."""
        v = self._reviewing(incident_id)
        body = note(text)
        row = self._note(v.incident, body, side="platform")
        self._audit(AuditTag.INCIDENT_NOTE, v.incident, v.project, note=row.id)
        app = v.project.app_name or v.project.name
        sent = notices.platform_note(v.incident, app, body, self._console(v.project, v.incident))
        self._mail(self.contacts(v.project), sent, AuditTag.INCIDENT_NOTE, v.incident, v.project)
        return row

    def resolve(self, incident_id: int, text: str, *, finding: bool = True) -> IncidentView:
        """Close the incident: resolved, or closed without finding unauthorized access. A note
        saying how is required; the developer gets it by mail."""
        v = self._reviewing(incident_id)
        body = note(text, "the resolution note")
        at = now()
        values: dict[str, object] = {"closed_at": at, "closed_by": self.actor.email, "updated_at": at}
        # Closing acknowledges too, unless a reviewer already did (perhaps since this page was read).
        fill = {"acknowledged_at": at, "acknowledged_by": self.actor.email}
        action = Action.RESOLVE if finding else Action.CLOSE
        after = transition(self.repo, v.incident, action, values, fill)
        self._note(v.incident, body, side="platform", action=after.value)
        tag = AuditTag.INCIDENT_RESOLVE if finding else AuditTag.INCIDENT_CLOSE
        self._audit(tag, v.incident, v.project)
        app = v.project.app_name or v.project.name
        sent = notices.closed(v.incident, app, body, self._console(v.project, v.incident), finding=finding)
        self._mail(self.contacts(v.project), sent, tag, v.incident, v.project)
        return self._view(incident_id, None, Permission.PROJECT_VIEW)

    # --- shared -----------------------------------------------------------------------------------
    def contacts(self, project: Project) -> list[str]:
        """Who hears about the project's incidents: its developer contacts and owners, and the member
        who reported (when a person did). Not the support address: the mails carry the report's
        details, and a support address is often a shared help-desk inbox."""
        owners = [u.email for u, role in self.projects.repo.members(project.id) if role == "owner"]
        people = [*(project.developer_contacts or []), *owners]
        if self.actor.user_id is not None and not self._platform():
            people.append(self.actor.email)
        return sorted({p.strip().lower() for p in people if p and p.strip()})

    def _platform(self) -> bool:
        return self.actor.is_operator or Permission.REVIEW in granted(self.actor.platform_role, None)

    def _reviewer(self) -> None:
        if not self._platform():
            raise Forbidden("only the platform's reviewers and operators can do this")

    def _view(self, incident_id: int, project_name: str | None, need: Permission) -> IncidentView:
        missing = NotFound("incident", f"no incident #{incident_id}")
        if not 0 < incident_id <= MAX_ID:  # an id no row can have (and PostgreSQL would refuse)
            raise missing
        row = self.repo.incident(incident_id)
        project = self.projects.repo.project_by_id(row.project_id) if row is not None else None
        if row is None or project is None or project_name not in (None, project.name):
            raise missing
        try:
            self.projects.get(project.name, need)
        except NotFound:
            raise missing from None
        return IncidentView(row, project, self.repo.notes(row.id))

    def _reviewing(self, incident_id: int) -> IncidentView:
        """A reviewer acting: not on their own project's incident (the operator's CLI may)."""
        self._reviewer()
        v = self._view(incident_id, None, Permission.PROJECT_VIEW)
        uid = self.actor.user_id
        if uid is None:  # the operator's shell acts for the platform
            return v
        member = self.projects.repo.role_of(v.project.id, uid) is not None
        if member or v.incident.reported_by == self.actor.email:
            raise Forbidden(
                "you are a member of this project: another reviewer must handle its incident",
                code="conflict_of_interest",
            )
        return v

    def _note(self, incident: SecurityIncident, body: str, *, side: str, action: str = "") -> IncidentNote:
        at = now()
        row = IncidentNote(
            incident_id=incident.id, author=self.actor.email, side=side, body=body, action=action, at=at
        )
        self.repo.add(row)
        self.repo.flush()
        incident.updated_at = at
        return row

    def _console(self, project: Project, row: SecurityIncident) -> str:
        return console_link(self.issuer, project.name, row.id)

    def _audit(self, tag: AuditTag, row: SecurityIncident, project: Project, **data: object) -> None:
        self.repo.audit(tag, self.actor, {"project": project.name, "incident": row.id, **data})

    def _mail(
        self,
        to: list[str],
        notice: notices.Notice,
        tag: AuditTag,
        row: SecurityIncident,
        project: Project,
        *,
        required: bool = False,
    ) -> None:
        data = {"project": project.name, "incident": row.id}
        self.repo.mail(to, notice.subject, notice.body, tag.value, data, required=required)
