"""The audit event and the outbox mail a change leaves, written in the caller's transaction.

Shared by the repositories whose services audit and mail (SqlConsole, SqlIncidents), so the rule
about a refused recipient lives in one place.
"""

from __future__ import annotations

import logging
from typing import Any

from sqlalchemy.orm import Session

from consentry.domain.actor import Actor
from consentry.domain.audit import record

log = logging.getLogger(__name__)


class AuditAndMail:
    """Mixed into a repository that has ``session`` and ``issuer`` (the Message-ID's domain)."""

    session: Session
    issuer: str | None

    def audit(self, tag: str, actor: Actor, data: dict[str, Any]) -> None:
        record(self.session, tag, actor=actor.email, data=data, channel=actor.channel)

    def mail(
        self,
        recipients: list[str],
        subject: str,
        body: str,
        reason: str,
        data: dict[str, Any],
        *,
        required: bool = False,
    ) -> None:
        """Queue a mail. A refused one (no valid recipient left) is logged and skipped: contacts
        were checked when entered, and one that no longer parses must not undo the change. With
        ``required`` the refusal is raised instead, so the change is not kept without its mail."""
        from consentry.domain.mail.outbox import enqueue  # late: the outbox imports the accounts domain
        from consentry.errors import DomainError

        if not recipients and not required:
            return
        try:
            enqueue(self.session, recipients, subject, body, reason=reason, data=data, issuer=self.issuer)
        except DomainError as err:
            if required:
                raise
            log.warning("no mail for %s: %s", reason, err.message)
