"""The admin console's first page: the organization at a glance, and its admins' latest changes."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from consentry.domain.orgs.apps import OrgApp
from consentry.storage.tables import AccessRequest, AuditEvent, Organization, OrgDelegation, User
from consentry.storage.tables.base import now

#: How many of the latest audit events the overview reads to find this organization's changes.
RECENT_SCAN = 500


@dataclass(frozen=True, slots=True)
class Overview:
    members: int
    admins: int
    apps: int
    #: trusted / limited / blocked / unconfigured -> apps
    by_access: dict[str, int]
    installed: int
    unverified_in_use: int
    pending_requests: int
    lapsed_requests: int
    delegations: int
    recent: list[dict[str, Any]] = field(default_factory=list)


def overview(session: Session, org: Organization, listed: list[OrgApp], *, recent: int = 8) -> Overview:
    """Counts for the overview; ``listed`` is domain/orgs/apps.apps() for the same organization."""
    t = now()
    people = list(
        session.execute(select(User.role, func.count()).where(User.org_id == org.id).group_by(User.role))
    )
    by_access = {"trusted": 0, "limited": 0, "blocked": 0, "unconfigured": 0}
    for a in listed:
        by_access[a.access or "unconfigured"] += 1
    pending = _count(
        session,
        AccessRequest.org_id == org.id,
        AccessRequest.status == "pending",
        AccessRequest.expires_at > t,
    )
    lapsed = _count(
        session,
        AccessRequest.org_id == org.id,
        AccessRequest.status == "pending",
        AccessRequest.expires_at <= t,
    )
    delegations = int(
        session.scalar(select(func.count()).select_from(OrgDelegation).where(OrgDelegation.org_id == org.id))
        or 0
    )
    return Overview(
        members=sum(n for _, n in people),
        admins=sum(n for role, n in people if role == "admin"),
        apps=len(listed),
        by_access=by_access,
        installed=sum(1 for a in listed if a.installed),
        unverified_in_use=sum(1 for a in listed if a.users and a.risky and not a.verified and not a.internal),
        pending_requests=pending,
        lapsed_requests=lapsed,
        delegations=delegations,
        recent=changes(session, org, limit=recent),
    )


def changes(session: Session, org: Organization, *, limit: int = 8) -> list[dict[str, Any]]:
    """The organization's latest admin changes, newest first (the audit log is the record).

    Filtered in Python: the event data is JSON, and reading one key of it portably on SQLite and
    PostgreSQL costs more than scanning the newest few hundred ``org:`` events.
    """
    rows = session.scalars(
        select(AuditEvent)
        .where(AuditEvent.tag.startswith("org:"))
        .order_by(AuditEvent.id.desc())
        .limit(RECENT_SCAN)
    )
    out: list[dict[str, Any]] = []
    for ev in rows:
        data = ev.data if isinstance(ev.data, dict) else {}
        if data.get("org") != org.domain:
            continue
        out.append({"tag": ev.tag, "actor": ev.actor, "at": ev.at, "data": data})
        if len(out) >= limit:
            break
    return out


def _count(session: Session, *where: Any) -> int:
    return int(session.scalar(select(func.count()).select_from(AccessRequest).where(*where)) or 0)
