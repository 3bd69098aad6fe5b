"""What a user has granted a client, and what is still to ask."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from consentry.domain.audit import record
from consentry.domain.audit.tags import AuditTag, Channel
from consentry.domain.scopes.catalogue import SIGN_IN
from consentry.storage.tables import ConsentGrant
from consentry.storage.tables.base import now


def granted(session: Session, user_id: int, client_pk: int) -> set[str]:
    row = _row(session, user_id, client_pk)
    return set(row.scopes) if row else set()


def _row(session: Session, user_id: int, client_pk: int) -> ConsentGrant | None:
    return session.scalar(
        select(ConsentGrant).where(ConsentGrant.user_id == user_id, ConsentGrant.client_pk == client_pk)
    )


def missing(session: Session, user_id: int, client_pk: int, requested: list[str]) -> list[str]:
    """Requested scopes the user has not granted yet (AUTH2-3: ask only for the new ones)."""
    have = granted(session, user_id, client_pk)
    if not have:
        return list(requested)
    return [s for s in requested if s not in have]


def grant(
    session: Session,
    user_id: int,
    client_pk: int,
    scopes: list[str],
    *,
    actor: str,
    withdraw: list[str] | None = None,
) -> set[str]:
    """Add scopes to the grant and drop the ones the user unticked; returns the full granted set."""
    row = _row(session, user_id, client_pk)
    if row is None:
        row = ConsentGrant(user_id=user_id, client_pk=client_pk, scopes=[])
        session.add(row)
    merged = sorted((set(row.scopes) - set(withdraw or [])) | set(scopes))
    row.scopes = merged
    row.updated_at = now()
    record(
        session,
        AuditTag.CONSENT_GRANT,
        actor=actor,
        data={"client_pk": client_pk, "scopes": scopes, "withdrawn": withdraw or []},
        channel=Channel.WEB,
    )
    return set(merged)


def split_sign_in(scopes: list[str]) -> tuple[list[str], list[str]]:
    """(sign-in scopes, data scopes): only data scopes get a checkbox on the consent page."""
    return [s for s in scopes if s in SIGN_IN], [s for s in scopes if s not in SIGN_IN]
