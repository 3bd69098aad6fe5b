"""Ten single-use recovery codes: the way in when the phone with the authenticator app is lost (ACCT-3).

A code is ten characters from an alphabet without look-alikes (no 0/o, 1/l/i), shown once as
``xxxxx-xxxxx`` and stored only as a keyed hash bound to the account (its own purpose key, so a
leaked token hash key says nothing about them). Ten random characters from 31 give ~49 bits: far
beyond the few guesses a sign-in step allows. Using one is one conditional UPDATE (``used_at IS
NULL``), so the same code never works twice, even when two requests race. Getting new codes
replaces every old one.
"""

from __future__ import annotations

import secrets

from sqlalchemy import delete, func, select, update
from sqlalchemy.orm import Session

from consentry.domain.accounts.two_step_mail import security_notice
from consentry.domain.audit import record
from consentry.domain.audit.tags import AuditTag, Channel
from consentry.domain.secrets import Hasher
from consentry.settings import Settings
from consentry.storage.tables import RecoveryCode, User
from consentry.storage.tables.base import now

ALPHABET = "23456789abcdefghjkmnpqrstuvwxyz"
LENGTH = 10
COUNT = 10
PURPOSE = "recovery-code"


def normalize(code: str) -> str | None:
    """The ten characters, lower-cased, without the dash or spaces; None if it cannot be a code."""
    chars = "".join(c for c in code.strip().lower() if c not in " -\t")
    if len(chars) != LENGTH or any(c not in ALPHABET for c in chars):
        return None
    return chars


def shown(code: str) -> str:
    """``abcde-fghjk``: two halves are easier to read out and to copy."""
    return f"{code[:5]}-{code[5:]}"


class RecoveryCodes:
    def __init__(self, hasher: Hasher, *, operator: str, issuer: str) -> None:
        self.hasher = hasher
        self.operator = operator
        self.issuer = issuer

    @classmethod
    def from_settings(cls, settings: Settings) -> RecoveryCodes:
        return cls(
            Hasher(settings.secret_key, PURPOSE), operator=settings.operator_name, issuer=settings.issuer_url
        )

    def _hash(self, user_id: int, code: str) -> str:
        return self.hasher.hash(f"{user_id}:{code}")

    def generate(self, session: Session, user: User, *, actor: str, channel: Channel) -> list[str]:
        """Ten new codes replacing any old ones; returned (shown ``xxxxx-xxxxx``) this once only."""
        session.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user.id))
        codes = ["".join(secrets.choice(ALPHABET) for _ in range(LENGTH)) for _ in range(COUNT)]
        t = now()
        session.add_all(
            RecoveryCode(user_id=user.id, code_hash=self._hash(user.id, c), used_at=None, created_at=t)
            for c in codes
        )
        session.flush()
        record(session, AuditTag.USER_RECOVERY_CODES, actor=actor, data={"user": user.email}, channel=channel)
        return [shown(c) for c in codes]

    def use(self, session: Session, user: User, code: str, *, channel: Channel) -> bool:
        """Spend one code (atomic); the owner is told by mail. False: wrong, or used already."""
        chars = normalize(code)
        if chars is None:
            return False
        spent = session.execute(
            update(RecoveryCode)
            .where(
                RecoveryCode.user_id == user.id,
                RecoveryCode.code_hash == self._hash(user.id, chars),
                RecoveryCode.used_at.is_(None),
            )
            .values(used_at=now())
        )
        if int(spent.rowcount or 0) != 1:  # type: ignore[attr-defined]
            return False
        left = self.left(session, user.id)
        record(
            session,
            AuditTag.USER_RECOVERY_USED,
            actor=user.email,
            data={"user": user.email, "left": left},
            channel=channel,
        )
        security_notice(
            session,
            user,
            AuditTag.USER_RECOVERY_USED,
            "a recovery code was used to sign in",
            f"A recovery code was used to sign in to your account. {left} of your codes are left.\n"
            "If you lost your phone, set up the authenticator app again and get new recovery codes.",
            issuer=self.issuer,
            operator=self.operator,
        )
        return True

    @staticmethod
    def left(session: Session, user_id: int) -> int:
        count = session.scalar(
            select(func.count()).where(RecoveryCode.user_id == user_id, RecoveryCode.used_at.is_(None))
        )
        return int(count or 0)

    @staticmethod
    def delete_all(session: Session, user_id: int) -> int:
        gone = session.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user_id))
        return int(gone.rowcount or 0)  # type: ignore[attr-defined]
