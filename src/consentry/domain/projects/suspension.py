"""Suspending an app (LIMIT-6, DATA-3): every token and code it holds dies at once, every new
request is refused with the reason (the policy gate's first check), and the developer is told.

Reinstating lifts the refusal but brings nothing back: users sign in and consent again.
"""

from __future__ import annotations

from dataclasses import dataclass

from consentry.domain.audit.tags import AuditTag
from consentry.domain.permissions import Permission
from consentry.domain.projects.service import Projects
from consentry.errors import Conflict, InvalidInput
from consentry.storage.tables import Project
from consentry.storage.tables.base import now

MAX_REASON = 500


@dataclass(frozen=True, slots=True)
class Cut:
    """What a suspension revoked."""

    tokens: int
    codes: int
    device_codes: int


class Suspension:
    def __init__(self, projects: Projects) -> None:
        self.projects = projects
        self.repo = projects.repo

    def suspend(self, name: str, reason: str) -> tuple[Project, Cut]:
        project = self.projects.get(name, Permission.OPERATE)
        why = " ".join(reason.split())
        if not why:
            raise InvalidInput("invalid_request", "say why the app is suspended (--reason)")
        if len(why) > MAX_REASON:
            raise InvalidInput("too_long", f"the reason is at most {MAX_REASON} characters")
        if project.suspended_at is not None:
            raise Conflict("already_suspended", f"project {project.name!r} is already suspended")
        at = now()
        project.suspended_at, project.suspended_reason = at, why
        tokens, codes, devices = self.repo.cut_project_access(project.id, at)
        cut = Cut(tokens, codes, devices)
        self.repo.audit(
            AuditTag.PROJECT_SUSPEND,
            self.projects.actor,
            {
                "project": project.name,
                "reason": why,
                "tokens": tokens,
                "codes": codes,
                "device_codes": devices,
            },
        )
        app = project.app_name or project.name
        self._tell(
            project,
            f"[Consentry] {app} is suspended",
            f"The platform suspended {app} (project {project.name}):\n\n  {why}\n\n"
            f"Every token it held was revoked ({tokens} tokens, {codes + devices} pending codes) and its "
            "users cannot sign in to it. Reply to the reviewers to appeal; once reinstated, users "
            "sign in and consent again.\n",
            AuditTag.PROJECT_SUSPEND,
        )
        return project, cut

    def reinstate(self, name: str) -> Project:
        project = self.projects.get(name, Permission.OPERATE)
        if project.suspended_at is None:
            raise Conflict("not_suspended", f"project {project.name!r} is not suspended")
        was = project.suspended_reason
        project.suspended_at, project.suspended_reason = None, ""
        self.repo.audit(
            AuditTag.PROJECT_REINSTATE, self.projects.actor, {"project": project.name, "was": was}
        )
        app = project.app_name or project.name
        self._tell(
            project,
            f"[Consentry] {app} is reinstated",
            f"{app} (project {project.name}) may be used again. Tokens revoked by the suspension stay "
            "revoked: users sign in and consent again.\n",
            AuditTag.PROJECT_REINSTATE,
        )
        return project

    def _tell(self, project: Project, subject: str, body: str, tag: AuditTag) -> None:
        owners = [u.email for u, role in self.repo.members(project.id) if role == "owner"]
        to = sorted({*(project.developer_contacts or []), *owners, project.support_email} - {""})
        self.repo.mail(to, subject, body, tag.value, {"project": project.name})
