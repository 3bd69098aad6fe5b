"""Single-use mailed links (password reset, invitation, sign-up): issue, look at, redeem.

The secret in the link is stored as a keyed hash only, so a database reader cannot use a link.
Redeeming is one conditional UPDATE (unused, unexpired, this purpose): of two clicks racing,
exactly one wins. One implementation for all three purposes.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from consentry.domain.secrets import Hasher, new_secret
from consentry.storage.tables import AccountLink
from consentry.storage.tables.base import now

#: A link's secret is 32 random bytes in base64url (43 characters); anything much longer is not one.
MAX_TOKEN = 100


class Purpose(StrEnum):
    RESET = "reset"
    INVITE = "invite"
    SIGNUP = "signup"


@dataclass(frozen=True)
class Issued:
    #: The secret for the link, shown once (in the mail) and never stored.
    token: str
    expires_at: int


@dataclass(frozen=True)
class LinkFacts:
    """What a valid link says, read without using it up."""

    purpose: Purpose
    email: str
    user_id: int | None
    org_id: int | None
    role: str
    invited_by: int | None
    expires_at: int


class Links:
    def __init__(self, hasher: Hasher) -> None:
        self.hasher = hasher

    def _key(self, purpose: Purpose, token: str) -> str:
        return self.hasher.hash(f"account-link:{purpose.value}:{token}")

    def issue(
        self,
        session: Session,
        purpose: Purpose,
        email: str,
        *,
        ttl: int,
        user_id: int | None = None,
        org_id: int | None = None,
        role: str = "user",
        invited_by: int | None = None,
    ) -> Issued:
        token, t = new_secret(), now()
        session.add(
            AccountLink(
                token_hash=self._key(purpose, token),
                purpose=purpose.value,
                email=email.strip().lower(),
                user_id=user_id,
                org_id=org_id,
                role=role,
                invited_by=invited_by,
                expires_at=t + ttl,
                created_at=t,
            )
        )
        session.flush()
        return Issued(token, t + ttl)

    def peek(self, session: Session, purpose: Purpose, token: str) -> LinkFacts | None:
        """The link's facts if it is still good (unused, unexpired); the page shows them."""
        if not token or len(token) > MAX_TOKEN:
            return None
        row = session.get(AccountLink, self._key(purpose, token))
        if row is None or row.purpose != purpose.value or row.used_at is not None or row.expires_at <= now():
            return None
        return _facts(row)

    def redeem(self, session: Session, purpose: Purpose, token: str) -> LinkFacts | None:
        """Use the link up; None if it was used, expired, or never existed. Atomic."""
        if not token or len(token) > MAX_TOKEN:
            return None
        key, t = self._key(purpose, token), now()
        used = session.execute(
            update(AccountLink)
            .where(
                AccountLink.token_hash == key,
                AccountLink.purpose == purpose.value,
                AccountLink.used_at.is_(None),
                AccountLink.expires_at > t,
            )
            .values(used_at=t)
        )
        if int(used.rowcount or 0) != 1:  # type: ignore[attr-defined]
            return None
        row = session.scalar(select(AccountLink).where(AccountLink.token_hash == key))
        return _facts(row) if row is not None else None

    def void(self, session: Session, purpose: Purpose, *, email: str) -> int:
        """Use up every outstanding link of this purpose for the address (a reset voids the others)."""
        t = now()
        done = session.execute(
            update(AccountLink)
            .where(
                AccountLink.email == email.strip().lower(),
                AccountLink.purpose == purpose.value,
                AccountLink.used_at.is_(None),
                AccountLink.expires_at > t,
            )
            .values(used_at=t)
        )
        return int(done.rowcount or 0)  # type: ignore[attr-defined]


def _facts(row: AccountLink) -> LinkFacts:
    return LinkFacts(
        Purpose(row.purpose), row.email, row.user_id, row.org_id, row.role, row.invited_by, row.expires_at
    )
