"""Security notices mailed to the account's owner when how they sign in changes (ACCT-3).

Someone who took over the password and turned two-step off, added a passkey of their own, or used
a recovery code, is exactly who the owner must hear about: every such notice (the authenticator
app, recovery codes, passkeys, an operator's reset) is sent by :func:`security_notice`, through
the outbox, in the transaction of the change, so it exists exactly when the change does.
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from consentry.domain.audit.tags import AuditTag
from consentry.domain.mail.outbox import enqueue
from consentry.storage.tables import User

#: What the notice asks the reader to review, and where: (what, path on the issuer).
TWO_STEP = ("your two-step settings", "/account/security")
PASSKEYS = ("your passkeys", "/account/passkeys")


def security_notice(
    session: Session,
    user: User,
    tag: AuditTag,
    subject: str,
    text: str,
    *,
    issuer: str,
    operator: str,
    review: tuple[str, str] = TWO_STEP,
) -> None:
    """Queue one plain-text notice to ``user`` (never a link to click but our own address)."""
    what, path = review
    body = (
        f"Hello {user.name or user.email},\n\n{text.rstrip()}\n\n"
        "If this was you, there is nothing to do.\n"
        f"If it was not, change your password now and review {what} at\n"
        f"{issuer.rstrip('/')}{path}\n\n{operator}\n"
    )
    enqueue(
        session,
        [user.email],
        f"{operator}: {subject}",
        body,
        reason=tag.value,
        data={"user_id": user.id},
        issuer=issuer,
    )
