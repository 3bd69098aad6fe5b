"""Security notices mailed to the account's owner when its two-step verification changes (ACCT-3).

Someone who took over the password and turned two-step off, or used a recovery code, is exactly
who the owner must hear about: the mail goes through the outbox, in the transaction of the change,
so it exists exactly when the change does.
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from consentry.domain.audit.tags import AuditTag
from consentry.domain.mail.outbox import enqueue
from consentry.storage.tables import User

FOOTER = (
    "\n\nIf this was you, there is nothing to do.\n"
    "If it was not, change your password now and review your two-step settings at\n"
    "{issuer}/account/security\n"
)


def security_notice(
    session: Session, user: User, tag: AuditTag, subject: str, text: str, *, issuer: str, operator: str
) -> None:
    """Queue one plain-text notice to ``user`` (never a link to click but our own address)."""
    body = f"Hello {user.name or user.email},\n\n{text}" + FOOTER.format(issuer=issuer) + f"\n{operator}\n"
    enqueue(
        session,
        [user.email],
        f"{operator}: {subject}",
        body,
        reason=tag.value,
        data={"user_id": user.id},
        issuer=issuer,
    )
