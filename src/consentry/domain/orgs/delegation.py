"""Domain-wide delegation (AUTH2-5): an organization's admins let a service account act for
the organization's users, in named scopes only.

The JWT bearer grant (protocol/oauth2/grants/jwt_bearer.py) reads these entries: an assertion
with ``sub`` gets a token only for scopes an entry of the user's organization names. Scopes are
stored by catalogue name (``mail.readonly``), not URI, so an entry survives a change of issuer.
Every change is audited, bumps ``organizations.policy_version``, and takes back at once the
delegated tokens the new entry no longer covers.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from consentry.domain.audit import record
from consentry.domain.audit.tags import AuditTag, Channel
from consentry.domain.scopes.catalogue import Catalogue
from consentry.errors import InvalidInput, NotFound
from consentry.storage.tables import Client, Organization, OrgDelegation, Token, User
from consentry.storage.tables.base import now

JWT_BEARER = "urn:ietf:params:oauth:grant-type:jwt-bearer"
#: Names only: scope URIs under any issuer resolve to the same catalogue entry.
_CATALOGUE = Catalogue("https://issuer.invalid")


def scope_names(scopes: Sequence[str]) -> list[str]:
    """Catalogue names for scopes given by name or URI; unknown ones are refused, by name."""
    names: list[str] = []
    unknown: list[str] = []
    for given in scopes:
        info = _CATALOGUE.lookup(given.strip())
        if info is None:
            unknown.append(given)
        elif info.name not in names:
            names.append(info.name)
    if unknown:
        shown = ", ".join(repr(s[:80]) for s in unknown[:5])
        raise InvalidInput(
            "invalid_scope", f"not in the scope catalogue: {shown} (see `consentry scopes list`)"
        )
    if not names:
        raise InvalidInput("invalid_scope", "name at least one scope to delegate")
    return names


def delegate(
    session: Session, *, org_domain: str, client_id: str, scopes: Sequence[str], actor: str, channel: Channel
) -> OrgDelegation:
    """Let the service account ``client_id`` act for ``org_domain``'s users in exactly ``scopes``
    (replacing an earlier entry's scopes)."""
    org = _org(session, org_domain)
    client = _service_account(session, client_id)
    names = scope_names(scopes)
    row = _entry(session, org.id, client.id)
    before = list(row.scopes) if row is not None else None
    if row is None:
        row = OrgDelegation(
            org_id=org.id, client_pk=client.id, scopes=names, created_at=now(), created_by=actor
        )
        session.add(row)
    else:
        row.scopes = names
    org.policy_version = (org.policy_version or 0) + 1
    revoked = _take_back(session, org.id, client.id, set(names))
    data = {"org": org.domain, "client_id": client.client_id, "scopes": names, "before": before}
    record(session, AuditTag.ORG_DELEGATE, actor=actor, data={**data, "revoked": revoked}, channel=channel)
    session.flush()
    return row


def undelegate(session: Session, *, org_domain: str, client_id: str, actor: str, channel: Channel) -> bool:
    """Remove the entry; False if there was none. Tokens it gave stop working at once."""
    org = _org(session, org_domain)
    client = session.scalar(select(Client).where(Client.client_id == client_id))
    if client is None:
        raise NotFound("client", f"no client {client_id!r}")
    row = _entry(session, org.id, client.id)
    if row is None:
        return False
    session.delete(row)
    org.policy_version = (org.policy_version or 0) + 1
    revoked = _take_back(session, org.id, client.id, set())
    data = {"org": org.domain, "client_id": client.client_id, "scopes": list(row.scopes), "revoked": revoked}
    record(session, AuditTag.ORG_UNDELEGATE, actor=actor, data=data, channel=channel)
    session.flush()
    return True


def delegations(session: Session, org_domain: str) -> list[dict[str, Any]]:
    """The organization's entries: service account, its project, scope names, who and when."""
    org = _org(session, org_domain)
    rows = session.execute(
        select(OrgDelegation, Client)
        .join(Client, Client.id == OrgDelegation.client_pk)
        .where(OrgDelegation.org_id == org.id)
        .order_by(OrgDelegation.created_at, OrgDelegation.id)
    )
    return [
        {
            "client_id": client.client_id,
            "client_email": client.service_email,
            "name": client.name,
            "project": client.project.name,
            "scopes": list(entry.scopes),
            "state": "deleted" if client.deleted_at else "disabled" if client.disabled else "active",
            "created_at": entry.created_at,
            "created_by": entry.created_by,
        }
        for entry, client in rows
    ]


# --- helpers ------------------------------------------------------------------------------
def _org(session: Session, domain: str) -> Organization:
    org = session.scalar(select(Organization).where(Organization.domain == domain.strip().lower()))
    if org is None:
        raise NotFound("organization", f"no organization {domain.strip().lower()[:253]!r}")
    return org


def _service_account(session: Session, client_id: str) -> Client:
    client = session.scalar(select(Client).where(Client.client_id == client_id))
    if client is None or client.deleted_at is not None:
        raise NotFound("client", f"no client {client_id!r}")
    if client.client_type != "service":
        raise InvalidInput(
            "not_a_service_account",
            f"{client_id!r} is a {client.client_type} client: only service accounts take delegation",
        )
    return client


def _entry(session: Session, org_id: int, client_pk: int) -> OrgDelegation | None:
    return session.scalar(
        select(OrgDelegation).where(OrgDelegation.org_id == org_id, OrgDelegation.client_pk == client_pk)
    )


def _take_back(session: Session, org_id: int, client_pk: int, still: set[str]) -> int:
    """Revoke the service account's live tokens for the org's members that reach beyond ``still``."""
    t = now()
    live = session.execute(
        select(Token.id, Token.scope).where(
            Token.client_pk == client_pk,
            Token.grant_type == JWT_BEARER,
            Token.user_id.in_(select(User.id).where(User.org_id == org_id)),
            Token.revoked_at.is_(None),
            Token.expires_at > t,
        )
    )
    beyond = [tid for tid, scope in live if not set(_names(scope)) <= still]
    if beyond:
        session.execute(update(Token).where(Token.id.in_(beyond)).values(revoked_at=t))
    return len(beyond)


def _names(scope: str) -> list[str]:
    return [info.name if (info := _CATALOGUE.lookup(s)) else s for s in scope.split()]
