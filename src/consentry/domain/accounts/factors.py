"""Which second steps an account has, and whether its organization requires one (ACCT-3).

Read by the sign-in page (is a second step due?), the account's security page, and the CLI.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from consentry.storage.tables import Organization, Passkey, RecoveryCode, TotpFactor, User


@dataclass(frozen=True)
class Factors:
    #: An authenticator app, confirmed with a first code.
    totp: bool
    passkeys: int
    recovery_left: int
    #: The account's organization requires two-step verification of its members.
    required: bool

    @property
    def two_step(self) -> bool:
        """The account has a second step to ask for (recovery codes alone are a fallback)."""
        return self.totp or self.passkeys > 0

    @property
    def due(self) -> bool:
        """After the password, a second step must follow (or, when required, be set up)."""
        return self.two_step or self.required


def factors_of(session: Session, user: User) -> Factors:
    totp = session.scalar(
        select(TotpFactor.confirmed_at).where(
            TotpFactor.user_id == user.id, TotpFactor.confirmed_at.is_not(None)
        )
    )
    passkeys = session.scalar(select(func.count()).where(Passkey.user_id == user.id)) or 0
    left = (
        session.scalar(
            select(func.count()).where(RecoveryCode.user_id == user.id, RecoveryCode.used_at.is_(None))
        )
        or 0
    )
    required = bool(
        user.org_id is not None
        and session.scalar(select(Organization.require_2sv).where(Organization.id == user.org_id))
    )
    return Factors(totp is not None, int(passkeys), int(left), required)
