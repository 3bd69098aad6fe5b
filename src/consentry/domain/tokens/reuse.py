"""Refresh-token reuse: a rotated token presented again revokes its whole family (RFC 9700 4.14.2)."""

from __future__ import annotations

from sqlalchemy.orm import Session

from consentry.domain.audit import record
from consentry.domain.audit.tags import AuditTag, Channel
from consentry.domain.tokens.service import revoke_family


def report_reuse(session: Session, family: str) -> int:
    """Revoke every token of the family and leave an audit event; returns how many were revoked."""
    revoked = revoke_family(session, family)
    record(
        session,
        AuditTag.TOKEN_REFRESH_REUSE,
        data={"family": family, "revoked": revoked},
        channel=Channel.PROTOCOL,
    )
    return revoked
