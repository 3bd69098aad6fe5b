"""Who may do what: permissions as an enum, granted by a project role or a platform role.

Every console view and API route names the permission it needs (``require(Permission.X)`` in
web/deps.py); no handler checks roles itself, so the rules live here and only here.
"""

from __future__ import annotations

from enum import StrEnum


class Permission(StrEnum):
    # --- on a project (owner / editor / viewer) ---
    PROJECT_VIEW = "project:view"
    PROJECT_EDIT = "project:edit"  # consent screen, scopes, test users, clients
    PROJECT_MEMBERS = "project:members"  # add or remove members, change roles
    PROJECT_SUBMIT = "project:submit"  # submit for verification, answer reviewers
    CLIENT_SECRET = "project:client:secret"  # create clients and rotate secrets
    # --- on the platform ---
    REVIEW = "review"  # the reviewer console
    OPERATE = "operate"  # outbox, suspension, users
    # --- on an organization (its admins: users.role "admin" of that org) ---
    ORG_ADMIN = "org:admin"  # the admin console: members, apps, policy, delegation, requests


class ProjectRole(StrEnum):
    OWNER = "owner"
    EDITOR = "editor"
    VIEWER = "viewer"


_VIEWER = frozenset({Permission.PROJECT_VIEW})
_EDITOR = _VIEWER | {Permission.PROJECT_EDIT, Permission.PROJECT_SUBMIT, Permission.CLIENT_SECRET}
PROJECT_ROLES: dict[ProjectRole, frozenset[Permission]] = {
    ProjectRole.VIEWER: _VIEWER,
    ProjectRole.EDITOR: _EDITOR,
    ProjectRole.OWNER: _EDITOR | {Permission.PROJECT_MEMBERS},
}
#: Platform roles (``users.role``). Reviewers see every project, read-only, to review it.
PLATFORM_ROLES: dict[str, frozenset[Permission]] = {
    "reviewer": frozenset({Permission.REVIEW, Permission.PROJECT_VIEW}),
    "operator": frozenset({Permission.OPERATE, Permission.REVIEW, Permission.PROJECT_VIEW}),
}


def granted(platform_role: str, project_role: str | None) -> frozenset[Permission]:
    """Everything a user holds on one project (or on none, ``project_role=None``)."""
    perms = PLATFORM_ROLES.get(platform_role, frozenset())
    if project_role is not None:
        perms = perms | PROJECT_ROLES.get(ProjectRole(project_role), frozenset())
    return perms


def org_granted(platform_role: str, member_of_org: bool) -> frozenset[Permission]:
    """What a user holds on one organization: its own admins run its admin console (issue 14);
    nobody else does (the operator acts through the CLI, which needs no permission)."""
    if member_of_org and platform_role == "admin":
        return frozenset({Permission.ORG_ADMIN})
    return frozenset()
