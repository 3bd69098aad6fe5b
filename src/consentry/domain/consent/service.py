"""What a user has granted a client, and what is still to ask."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from consentry.domain.audit import record
from consentry.domain.audit.tags import AuditTag, Channel
from consentry.storage.tables import ConsentGrant
from consentry.storage.tables.base import now


def granted(session: Session, user_id: int, client_pk: int) -> set[str]:
    """What the user granted the client and still holds (a lapsed grant holds nothing)."""
    row = _row(session, user_id, client_pk)
    if row is None or (row.lapses_at is not None and row.lapses_at <= now()):
        return set()
    return set(row.scopes)


def _row(session: Session, user_id: int, client_pk: int) -> ConsentGrant | None:
    return session.scalar(
        select(ConsentGrant).where(ConsentGrant.user_id == user_id, ConsentGrant.client_pk == client_pk)
    )


def grant(
    session: Session,
    user_id: int,
    client_pk: int,
    scopes: list[str],
    *,
    actor: str,
    withdraw: list[str] | None = None,
    lapses_at: int | None = None,
    protocol: str = "oauth2",
) -> tuple[set[str], int | None]:
    """Add scopes to the grant and drop the ones the user unticked; returns the full granted set
    and when the grant now lapses (an earlier lapse is kept while data scopes it covers remain).

    ``lapses_at`` (VERIFY-11, apps in Testing) makes the whole grant lapse then; a lapsed grant
    is replaced, not merged into.
    """
    at = now()
    row = _row(session, user_id, client_pk)
    if row is None:
        row = ConsentGrant(user_id=user_id, client_pk=client_pk, scopes=[], created_at=at)
        session.add(row)
    elif row.lapses_at is not None and row.lapses_at <= at:
        row.scopes, row.created_at = [], at
    merged = sorted((set(row.scopes) - set(withdraw or [])) | set(scopes))
    row.scopes = merged
    row.updated_at = at
    if lapses_at is not None or row.lapses_at is None or row.lapses_at <= at:
        row.lapses_at = lapses_at
    # else: a later consent to sign-in scopes only keeps the lapse of the data scopes it joins.
    record(
        session,
        AuditTag.CONSENT_GRANT,
        actor=actor,
        data={"client_pk": client_pk, "scopes": scopes, "withdrawn": withdraw or [], "protocol": protocol},
        channel=Channel.WEB,
    )
    return set(merged), row.lapses_at
