"""Loading an organization's rules for one app, as the policy gate's ``OrgPolicy`` facts.

Read fresh on every authorization (a few indexed rows, and only for members of an organization),
so an admin's change takes effect on the next request in every server process. Tokens already
issued are dealt with when the change is made (domain/orgs/enforcement.py).
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import select
from sqlalchemy.orm import Session

from consentry.domain.policy.facts import OrgPolicy
from consentry.storage.tables import AccessRequest, Organization, OrgAppAccess


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
        since = row.updated_at if row is not None else 0
        approved = any(u == uid and (at or 0) >= since for u, at in approvals)
        out[uid] = OrgPolicy(
            unconfigured=org.unconfigured or "allow",
            access=row.access if row is not None else None,
            installed=bool(row is not None and row.installed),
            restricted_apis=frozenset(org.restricted_apis or ()),
            message=org.refusal_message or "",
            internal_approval=bool(org.internal_approval),
            approved_request=approved,
        )
    return out
