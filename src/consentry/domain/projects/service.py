"""Projects: members, the consent-screen configuration, scopes, test users, publishing status.

Called alike by the console pages, ``/api/v1`` and the CLI; every method checks the actor's
permission itself (domain/permissions.py), so no entry point can skip it.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from consentry.domain.actor import Actor
from consentry.domain.audit.tags import AuditTag
from consentry.domain.permissions import Permission, ProjectRole, granted
from consentry.domain.projects import branding
from consentry.domain.projects.logo import reencode_logo
from consentry.domain.projects.repository import ConsoleRepository
from consentry.domain.scopes.catalogue import CLASSES, Catalogue
from consentry.errors import Conflict, Forbidden, InvalidInput, LimitReached, NotFound
from consentry.storage.tables import Project, ProjectMember
from consentry.storage.tables.base import now

#: Projects in Testing reach at most this many listed users (VERIFY-11, PLATFORM_RULES).
MAX_TEST_USERS = 100
MAX_CONTACTS = 10
MAX_DOMAINS = 20


@dataclass(frozen=True)
class BrandForm:
    """The consent-screen configuration as submitted; ``None`` leaves a field unchanged."""

    app_name: str | None = None
    support_email: str | None = None
    home_page: str | None = None
    privacy_policy: str | None = None
    terms: str | None = None
    authorized_domains: list[str] | None = None
    developer_contacts: list[str] | None = None
    logo: bytes | None = None


def brand_of(project: Project) -> dict[str, object]:
    """What a brand review approves: a later change of any of these needs a new review (VERIFY-3)."""
    logo = hashlib.sha256(project.logo_png).hexdigest() if project.logo_png else ""
    return {
        "app_name": project.app_name,
        "logo": logo,
        "authorized_domains": sorted(project.authorized_domains or []),
    }


#: The operator's built-in project for unregistered legacy apps (domain/legacy/unregistered.py):
#: no developer may create (and so own) a project of that name.
RESERVED_NAME = "Unregistered legacy apps"


class Projects:
    def __init__(self, repo: ConsoleRepository, actor: Actor, catalogue: Catalogue) -> None:
        self.repo = repo
        self.actor = actor
        self.catalogue = catalogue

    # --- access -----------------------------------------------------------------------------
    def role(self, project: Project) -> str | None:
        if self.actor.user_id is None:
            return None
        return self.repo.role_of(project.id, self.actor.user_id)

    def permissions(self, project: Project) -> frozenset[Permission]:
        if self.actor.is_operator:
            return frozenset(Permission)
        return granted(self.actor.platform_role, self.role(project))

    def get(self, name: str, need: Permission = Permission.PROJECT_VIEW) -> Project:
        """The project if the actor may ``need`` on it; a stranger learns nothing (404, not 403)."""
        project = self.repo.project(name)
        if project is None:
            raise NotFound("project", f"no project {name!r}")
        perms = self.permissions(project)
        if Permission.PROJECT_VIEW not in perms:
            raise NotFound("project", f"no project {name!r}")
        if need not in perms:
            raise Forbidden(f"your role on {name!r} does not allow this ({need.value})")
        return project

    def visible(self) -> list[Project]:
        if self.actor.is_operator or Permission.REVIEW in granted(self.actor.platform_role, None):
            return self.repo.projects()
        if self.actor.user_id is None:
            return []
        return self.repo.projects(member_user_id=self.actor.user_id)

    def _audit(self, tag: AuditTag, project: Project, **data: object) -> None:
        self.repo.audit(tag, self.actor, {"project": project.name, **data})

    # --- create -----------------------------------------------------------------------------
    def create(
        self,
        name: str,
        *,
        owner_email: str | None = None,
        user_type: str = "external",
        status: str = "testing",
    ) -> Project:
        name = name.strip()
        allowed = all(c.isalnum() or c in "-_. " for c in name)
        if not any(c.isalnum() for c in name) or len(name) > 100 or not allowed:
            raise InvalidInput(
                "invalid_name",
                "a project name is 1-100 letters, digits, spaces, '-', '_' or '.', with a letter or digit",
            )
        if user_type not in ("external", "internal"):
            raise InvalidInput("invalid_user_type", "user type is external or internal")
        if status not in ("testing", "production"):
            raise InvalidInput("invalid_status", "publishing status is testing or production")
        if self.repo.project(name) is not None or name.casefold() == RESERVED_NAME.casefold():
            raise Conflict("exists", f"project {name!r} already exists")
        email = owner_email or self.actor.email
        owner = self.repo.user(email)
        if owner is None:
            raise NotFound("user", f"no user {email}")
        if user_type == "internal" and owner.org_id is None:
            raise InvalidInput("invalid_user_type", "internal projects belong to an organization's user")
        project = Project(name=name, user_type=user_type, status=status, org_id=owner.org_id, app_name=name)
        self.repo.add(project)
        self.repo.flush()
        self.repo.add(ProjectMember(project_id=project.id, user_id=owner.id, role=ProjectRole.OWNER.value))
        self._audit(AuditTag.PROJECT_CREATE, project, owner=owner.email)
        return project

    # --- members (VERIFY-1) -------------------------------------------------------------------
    def set_member(self, project: Project, email: str, role: str | None) -> None:
        """Add a member, change their role, or remove them (``role=None``); one owner always stays."""
        self.get(project.name, Permission.PROJECT_MEMBERS)
        if role is not None and role not in {r.value for r in ProjectRole}:
            raise InvalidInput("invalid_role", "a member is an owner, an editor or a viewer")
        user = self.repo.user(email)
        if user is None:
            raise NotFound("user", f"no user {email}: they need an account first")
        owners = [u.id for u, r in self.repo.members(project.id) if r == ProjectRole.OWNER.value]
        if owners == [user.id] and role != ProjectRole.OWNER.value:
            raise Conflict("last_owner", "a project keeps at least one owner: make someone else owner first")
        self.repo.set_role(project.id, user.id, role)
        tag = AuditTag.PROJECT_MEMBER_ADD if role else AuditTag.PROJECT_MEMBER_REMOVE
        self._audit(tag, project, member=user.email, role=role)

    # --- consent-screen configuration (VERIFY-2) -----------------------------------------------
    def update_brand(self, project: Project, form: BrandForm) -> bool:
        """Apply the form; True if the brand (name, logo, domains) changed. Nothing is stored on error."""
        self.get(project.name, Permission.PROJECT_EDIT)
        values: dict[str, object] = {}
        if form.app_name is not None:
            values["app_name"] = branding.app_name(form.app_name)
        if form.support_email is not None:
            values["support_email"] = branding.contact_emails([form.support_email], limit=1)[0]
        if form.authorized_domains is not None:
            domains = sorted({branding.domain_name(d) for d in form.authorized_domains if d.strip()})
            if len(domains) > MAX_DOMAINS:
                raise LimitReached(f"at most {MAX_DOMAINS} authorized domains")
            values["authorized_domains"] = domains
        domains = list(values.get("authorized_domains", project.authorized_domains or []))  # type: ignore[call-overload]
        for field in ("home_page", "privacy_policy", "terms"):
            raw = getattr(form, field)
            if raw is None:
                continue
            raw = raw.strip()
            if not raw:
                if field != "terms":
                    raise InvalidInput(f"invalid_{field}", f"the {field.replace('_', ' ')} cannot be empty")
                values[field] = ""
                continue
            url = branding.public_url(raw, field=field.replace("_", " "))
            if domains and not branding.url_on_domains(url, domains):
                raise InvalidInput(
                    f"{field}_off_domain",
                    f"the {field.replace('_', ' ')} must be on an authorized domain ({', '.join(domains)})",
                )
            values[field] = url
        if form.developer_contacts is not None:
            values["developer_contacts"] = branding.contact_emails(
                form.developer_contacts, limit=MAX_CONTACTS
            )
        if form.logo is not None:
            values["logo_png"] = reencode_logo(form.logo)
        before = brand_of(project)
        for key, value in values.items():
            setattr(project, key, value)
        if "authorized_domains" in values:
            self._sync_domain_proofs(project)
        changed = brand_of(project) != before
        if changed:
            project.brand_changed_at = now()
            self._cancel_open_review(project)
        if values:
            fields = sorted(k for k in values if k != "logo_png") + (["logo"] if "logo_png" in values else [])
            self._audit(
                AuditTag.PROJECT_BRAND_CHANGE if changed else AuditTag.PROJECT_UPDATE, project, fields=fields
            )
        return changed

    # --- scopes ---------------------------------------------------------------------------------
    def declare_scopes(self, project: Project, add: list[str] = (), remove: list[str] = ()) -> list[str]:  # type: ignore[assignment]
        self.get(project.name, Permission.PROJECT_EDIT)

        def uri(s: str) -> str:
            info = self.catalogue.lookup(s.strip())
            if info is None:
                raise InvalidInput("invalid_scope", f"unknown scope {s!r} (see `consentry scopes list`)")
            return info.uri

        adding = {uri(s) for s in add}
        removing = {uri(s) for s in remove}
        declared = (set(project.declared_scopes or []) | adding) - removing
        project.declared_scopes = sorted(declared)
        self._audit(AuditTag.PROJECT_SCOPES, project, added=sorted(adding), removed=sorted(removing))
        return project.declared_scopes

    def scopes_by_class(self, project: Project) -> dict[str, list[str]]:
        out: dict[str, list[str]] = {c: [] for c in CLASSES}
        for s in project.declared_scopes or []:
            info = self.catalogue.get(s)
            out[info.scope_class if info else "restricted"].append(s)
        return out

    # --- test users and publishing --------------------------------------------------------------
    def change_test_users(self, project: Project, add: list[str] = (), remove: list[str] = ()) -> list[str]:  # type: ignore[assignment]
        self.get(project.name, Permission.PROJECT_EDIT)
        from consentry.domain.accounts.emails import is_email_address, shown

        adding = {e.strip().lower() for e in add if e.strip()}
        bad = sorted(shown(e) for e in adding if not is_email_address(e))
        if bad:
            raise InvalidInput("invalid_email", "not an email address: " + ", ".join(map(repr, bad)))
        merged = (set(project.test_users or []) | adding) - {e.strip().lower() for e in remove}
        if len(merged) > MAX_TEST_USERS:
            raise LimitReached(f"a project in Testing has at most {MAX_TEST_USERS} test users")
        project.test_users = sorted(merged)
        self._audit(AuditTag.PROJECT_TEST_USERS, project, count=len(merged))
        return project.test_users

    def set_publishing(
        self, project: Project, *, status: str | None = None, user_type: str | None = None
    ) -> None:
        self.get(project.name, Permission.PROJECT_EDIT)
        if status is not None:
            if status not in ("testing", "production"):
                raise InvalidInput("invalid_status", "publishing status is testing or production")
            project.status = status
        if user_type is not None:
            if user_type not in ("external", "internal"):
                raise InvalidInput("invalid_user_type", "user type is external or internal")
            if user_type == "internal" and project.org_id is None:
                raise InvalidInput("invalid_user_type", "only a project of an organization can be internal")
            project.user_type = user_type
        self._audit(AuditTag.PROJECT_UPDATE, project, status=project.status, user_type=project.user_type)

    def _cancel_open_review(self, project: Project) -> None:
        """A brand change cancels an open verification request: it reviewed another brand (VERIFY-3)."""
        from consentry.domain.verification import notices
        from consentry.domain.verification.states import OPEN, Action, ReviewState, transition

        row = self.repo.latest_request(project.id)
        if row is None or ReviewState(row.state) not in OPEN:
            return
        transition(self.repo, row, Action.CANCEL)
        row.updated_at = row.decided_at = now()
        why = "the app's name, logo or authorized domains changed"
        notice = notices.cancelled(project.app_name or project.name, project.name, why)
        self.repo.audit(AuditTag.REVIEW_CANCEL, self.actor, {"project": project.name, "request": row.id})
        to = sorted(
            {*(project.developer_contacts or []), *([project.support_email] if project.support_email else [])}
        )
        self.repo.mail(
            to, notice.subject, notice.body, AuditTag.REVIEW_CANCEL.value, {"project": project.name}
        )

    def _sync_domain_proofs(self, project: Project) -> None:
        """One proof row per authorized domain, its challenge made now (so a page only reads it);
        a domain taken off the list loses its proof, and must be proven again if it comes back."""
        from consentry.domain.verification.domain_ownership import new_challenge
        from consentry.storage.tables import DomainProof

        wanted = set(project.authorized_domains or [])
        have = {p.domain: p for p in self.repo.domain_proofs(project.id)}
        for domain, row in have.items():
            if domain not in wanted:
                self.repo.delete(row)
        for domain in sorted(wanted - set(have)):
            self.repo.add(DomainProof(project_id=project.id, domain=domain, challenge=new_challenge()))
