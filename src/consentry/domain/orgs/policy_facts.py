"""Loading an organization's rules for one app, as the policy gate's ``OrgPolicy`` facts.

Read fresh on every authorization (a few indexed rows, and only for members of an organization),
so an admin's change takes effect on the next request in every server process. ``/authorize``
reads the same rows in the token store's batched lookup (``Found.org_rules``); both build the
facts with :func:`member_policy`. Tokens already
issued are dealt with when the change is made (domain/orgs/enforcement.py).
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import select
from sqlalchemy.orm import Session

from consentry.domain.policy.facts import OrgPolicy
from consentry.storage.tables import AccessRequest, Organization, OrgAppAccess


def member_policy(
    *,
    unconfigured: str | None,
    restricted_apis: Iterable[str] | None,
    message: str | None,
    internal_approval: bool | None,
    access: str | None,
    installed: bool | None,
    access_changed_at: int | None,
    approved_at: int | None,
) -> OrgPolicy:
    """One member's facts from the org's stored rules for the app (``access`` None: no rule for
    it). An approved request stands until the admins change the app's access again."""
    return OrgPolicy(
        unconfigured=unconfigured or "allow",
        access=access,
        installed=bool(installed),
        restricted_apis=frozenset(restricted_apis or ()),
        message=message or "",
        internal_approval=bool(internal_approval),
        approved_request=approved_at is not None and approved_at >= (access_changed_at or 0),
    )


def org_policy(session: Session, org_domain: str | None, project_id: int, user_id: int) -> OrgPolicy | None:
    """The rules of ``org_domain`` for the app of ``project_id``, for this member (None: no org)."""
    return policies(session, [(user_id, org_domain)], project_id).get(user_id)


def policies(
    session: Session, members: Iterable[tuple[int, str | None]], project_id: int
) -> dict[int, OrgPolicy]:
    """user_id -> OrgPolicy for each member of an organization among ``members``."""
    wanted = [(uid, d) for uid, d in members if d]
    if not wanted:
        return {}
    domains = {d for _, d in wanted}
    orgs = {
        o.domain: o for o in session.scalars(select(Organization).where(Organization.domain.in_(domains)))
    }
    if not orgs:
        return {}
    org_ids = [o.id for o in orgs.values()]
    access = {
        row.org_id: row
        for row in session.scalars(
            select(OrgAppAccess).where(
                OrgAppAccess.org_id.in_(org_ids), OrgAppAccess.project_id == project_id
            )
        )
    }
    # An approval stands until the admins change the app's access again (a later block wins).
    approvals = session.execute(
        select(AccessRequest.user_id, AccessRequest.decided_at).where(
            AccessRequest.org_id.in_(org_ids),
            AccessRequest.project_id == project_id,
            AccessRequest.user_id.in_([uid for uid, _ in wanted]),
            AccessRequest.status == "approved",  # pending ones lapse; an approval stands
        )
    ).all()
    out: dict[int, OrgPolicy] = {}
    for uid, domain in wanted:
        org = orgs.get(domain or "")
        if org is None:
            continue
        row = access.get(org.id)
        out[uid] = member_policy(
            unconfigured=org.unconfigured,
            restricted_apis=org.restricted_apis,
            message=org.refusal_message,
            internal_approval=org.internal_approval,
            access=row.access if row is not None else None,
            installed=row is not None and row.installed,
            access_changed_at=row.updated_at if row is not None else None,
            approved_at=max((at or 0 for u, at in approvals if u == uid), default=None),
        )
    return out
