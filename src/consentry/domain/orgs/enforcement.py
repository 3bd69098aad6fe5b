"""An admin's change reaches tokens already issued: what the new rules refuse is revoked at once.

The gate judges each new authorization (organization_rules); tokens issued before a change would
otherwise live on (a refresh grant does not re-read the org's rules). So after every change the
admins make, the same check runs over the members' live grants and tokens, per app, with the
scopes each app holds, and whatever it refuses is taken back: grants deleted, tokens revoked.
One rule, two moments.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from sqlalchemy import delete, or_, select, update
from sqlalchemy.orm import Session

from consentry.domain.orgs.policy_facts import policies
from consentry.domain.policy.checks import organization_rules
from consentry.domain.policy.facts import AppFacts, Ask, GateInput, Moment, Subject
from consentry.domain.scopes.catalogue import Catalogue
from consentry.storage.tables import Client, ConsentGrant, Organization, Project, Token, User
from consentry.storage.tables.base import now


@dataclass(frozen=True, slots=True)
class Enforced:
    #: (user_id, project_id) pairs whose access was taken back.
    revoked: tuple[tuple[int, int], ...]
    tokens: int


def enforce(session: Session, org_id: int, catalogue: Catalogue) -> Enforced:
    org = session.get(Organization, org_id)
    if org is None:
        return Enforced((), 0)
    t = now()
    held: dict[tuple[int, int], set[str]] = defaultdict(set)
    members = select(User.id).where(User.org_id == org_id)
    live = (
        select(Token.user_id, Client.project_id, Token.scope)
        .join(Client, Client.id == Token.client_pk)
        .where(
            Token.user_id.in_(members),
            Token.revoked_at.is_(None),
            or_(Token.expires_at > t, Token.refresh_expires_at > t),  # a refresh token outlives its access
        )
    )
    for uid, pid, scope in session.execute(live):
        if uid is not None:
            held[(uid, pid)].update((scope or "").split())
    grants = (
        select(ConsentGrant.user_id, Client.project_id, ConsentGrant.scopes)
        .join(Client, Client.id == ConsentGrant.client_pk)
        .where(ConsentGrant.user_id.in_(members))
    )
    for uid, pid, granted in session.execute(grants):
        held[(uid, pid)].update(granted or [])
    revoked: list[tuple[int, int]] = []
    projects = {p.id: p for p in session.scalars(select(Project).where(Project.id.in_({p for _, p in held})))}
    for (uid, pid), scopes in held.items():
        project = projects.get(pid)
        if project is None:
            continue
        org_rules = policies(session, [(uid, org.domain)], pid).get(uid)
        app = AppFacts(
            project_id=pid,
            user_type=project.user_type,
            org_domain=org.domain if project.org_id == org_id else None,
        )
        ask = Ask(Moment.TOKEN, tuple(sorted(scopes)), catalogue.classes, new_consent=False, now=t)
        decision = organization_rules.check(GateInput(app, Subject(uid, "", org.domain, org_rules), ask))
        if not decision.proceeds:
            revoked.append((uid, pid))
    count = 0
    for uid, pid in revoked:
        pks = select(Client.id).where(Client.project_id == pid)
        session.execute(
            delete(ConsentGrant).where(ConsentGrant.user_id == uid, ConsentGrant.client_pk.in_(pks))
        )
        result = session.execute(
            update(Token)
            .where(Token.user_id == uid, Token.client_pk.in_(pks), Token.revoked_at.is_(None))
            .values(revoked_at=t)
        )
        count += int(result.rowcount or 0)  # type: ignore[attr-defined]
    return Enforced(tuple(revoked), count)
