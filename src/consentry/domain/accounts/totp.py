"""An authenticator app (TOTP, RFC 6238) as the second step of signing in (ACCT-3).

The shared secret must be read back to check a code, so it is sealed (AES-GCM under a key derived
from the root secret, bound to the account by the associated data) rather than hashed: a copy of
the table alone reveals nothing. A code is accepted for the current 30-second step or one step on
either side (clocks drift), and never for a step at or before the last accepted one (RFC 6238
§5.2): one conditional UPDATE moves ``last_step`` forward, so two processes given the same code at
the same instant cannot both accept it.

Turning the app off deletes the factor; the recovery codes go with it when no passkey is left
(they back up a second step, and there is none left to back up). An organization that requires
two-step verification keeps its member from turning off their last second step.
"""

from __future__ import annotations

import hmac
import time
from dataclasses import dataclass

import pyotp
from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from consentry.domain.accounts.factors import factors_of
from consentry.domain.accounts.two_step_mail import security_notice
from consentry.domain.audit import record
from consentry.domain.audit.tags import AuditTag, Channel
from consentry.domain.keys.envelope import Envelope
from consentry.errors import Conflict, Forbidden
from consentry.settings import Settings
from consentry.storage.tables import RecoveryCode, TotpFactor, User
from consentry.storage.tables.base import now
from consentry.storage.upsert import insert_for

PERIOD = 30
DIGITS = 6
#: Steps accepted on either side of the current one (RFC 6238 §5.2 recommends at most one).
WINDOW = 1


@dataclass(frozen=True)
class Enrollment:
    """What the set-up page shows: the secret for typing in, the URI for the QR code."""

    secret: str
    uri: str

    @property
    def grouped(self) -> str:
        """``ABCD EFGH …``: easier to type into a phone than 32 characters in a row."""
        return " ".join(self.secret[i : i + 4] for i in range(0, len(self.secret), 4))


@dataclass(frozen=True)
class TurnedOff:
    #: Recovery codes deleted with the app (none when passkeys remain).
    recovery_codes_deleted: int


def normalize(code: str) -> str | None:
    """The six digits, or None: spaces and dashes people type are ignored; anything else fails."""
    digits = "".join(c for c in code if c not in " -\t")
    if len(digits) != DIGITS or not digits.isascii() or not digits.isdigit():
        return None
    return digits


class Totp:
    def __init__(self, envelope: Envelope, *, operator: str, issuer: str) -> None:
        self.envelope = envelope
        #: The name shown in the authenticator app (the otpauth ``issuer``) and signing the mails.
        self.operator = operator
        #: The platform's address, for the mails' links and Message-IDs.
        self.issuer = issuer

    @classmethod
    def from_settings(cls, settings: Settings) -> Totp:
        return cls(Envelope(settings.secret_key), operator=settings.operator_name, issuer=settings.issuer_url)

    # --- the secret -----------------------------------------------------------------------------
    @staticmethod
    def _aad(user_id: int) -> bytes:
        return f"totp:{user_id}".encode()

    def _open(self, user_id: int, sealed: bytes) -> str:
        return self.envelope.open(sealed, self._aad(user_id)).decode()

    def enrollment(self, session: Session, user: User) -> Enrollment:
        """The pending secret (made on first call, kept across reloads until confirmed)."""
        row = session.get(TotpFactor, user.id, populate_existing=True)
        if row is not None and row.confirmed_at is not None:
            raise Conflict(
                "totp_on", "An authenticator app is already set up. Turn it off to set up another."
            )
        if row is None:
            sealed = self.envelope.seal(pyotp.random_base32().encode(), self._aad(user.id))
            stmt = insert_for(session)(TotpFactor).values(
                user_id=user.id, secret_sealed=sealed, confirmed_at=None, last_step=0, created_at=now()
            )
            session.execute(stmt.on_conflict_do_nothing(index_elements=[TotpFactor.user_id]))
            row = session.get(TotpFactor, user.id, populate_existing=True)
            assert row is not None
        secret = self._open(user.id, row.secret_sealed)
        uri = pyotp.TOTP(secret, digits=DIGITS, interval=PERIOD).provisioning_uri(
            name=user.email, issuer_name=self.operator
        )
        return Enrollment(secret, uri)

    # --- codes ----------------------------------------------------------------------------------
    @staticmethod
    def _step_of(code: str, secret: str, at: float, after: int) -> int | None:
        """The time step ``code`` is for, within the window and after ``after``; constant-time."""
        digits = normalize(code)
        if digits is None:
            return None
        otp = pyotp.TOTP(secret, digits=DIGITS, interval=PERIOD)
        current = int(at // PERIOD)
        found = None
        for step in range(current - WINDOW, current + WINDOW + 1):
            if hmac.compare_digest(otp.generate_otp(step), digits) and step > after and found is None:
                found = step
        return found

    def confirm(
        self, session: Session, user: User, code: str, *, channel: Channel, at: float | None = None
    ) -> bool:
        """The first code from the app: the factor is on from now (audited, mailed to the owner)."""
        row = session.get(TotpFactor, user.id, populate_existing=True)
        if row is None or row.confirmed_at is not None:
            return False
        step = self._step_of(
            code, self._open(user.id, row.secret_sealed), time.time() if at is None else at, row.last_step
        )
        if step is None:
            return False
        done = session.execute(
            update(TotpFactor)
            .where(
                TotpFactor.user_id == user.id,
                TotpFactor.confirmed_at.is_(None),
                TotpFactor.last_step < step,
            )
            .values(confirmed_at=now(), last_step=step)
        )
        if int(done.rowcount or 0) != 1:  # type: ignore[attr-defined]
            return False
        record(session, AuditTag.USER_2SV_ENABLE, actor=user.email, data={"factor": "totp"}, channel=channel)
        security_notice(
            session,
            user,
            AuditTag.USER_2SV_ENABLE,
            "two-step verification is on",
            "An authenticator app was set up for your account. From now on, signing in asks for a\n"
            "code from the app after your password.",
            issuer=self.issuer,
            operator=self.operator,
        )
        return True

    def verify(self, session: Session, user_id: int, code: str, *, at: float | None = None) -> bool:
        """A code at sign-in: right, in the window, and for a step never accepted before (atomic)."""
        row = session.execute(
            select(TotpFactor.secret_sealed, TotpFactor.last_step).where(
                TotpFactor.user_id == user_id, TotpFactor.confirmed_at.is_not(None)
            )
        ).first()
        if row is None:
            return False
        step = self._step_of(
            code, self._open(user_id, row.secret_sealed), time.time() if at is None else at, row.last_step
        )
        if step is None:
            return False
        done = session.execute(
            update(TotpFactor)
            .where(
                TotpFactor.user_id == user_id,
                TotpFactor.confirmed_at.is_not(None),
                TotpFactor.last_step < step,
            )
            .values(last_step=step)
        )
        return int(done.rowcount or 0) == 1  # type: ignore[attr-defined]

    # --- off ------------------------------------------------------------------------------------
    def turn_off(self, session: Session, user: User, *, actor: str, channel: Channel) -> TurnedOff:
        """Remove the app; refused while the organization requires a second step and it is the last."""
        factors = factors_of(session, user)
        if not factors.totp:
            raise Conflict("totp_off", "No authenticator app is set up for this account.")
        if factors.required and factors.passkeys == 0:
            raise Forbidden(
                "Your organization requires two-step verification. Add a passkey or security key "
                "first, then you can turn the authenticator app off.",
                code="required_by_org",
            )
        session.execute(delete(TotpFactor).where(TotpFactor.user_id == user.id))
        codes = 0
        if factors.passkeys == 0:
            gone = session.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user.id))
            codes = int(gone.rowcount or 0)  # type: ignore[attr-defined]
        record(
            session,
            AuditTag.USER_2SV_DISABLE,
            actor=actor,
            data={"factor": "totp", "user": user.email, "recovery_codes_deleted": codes},
            channel=channel,
        )
        still = (
            "Your passkeys still protect your account."
            if factors.passkeys
            else ("Signing in now asks for your password only.")
        )
        security_notice(
            session,
            user,
            AuditTag.USER_2SV_DISABLE,
            "the authenticator app was turned off",
            f"The authenticator app was removed from your account. {still}",
            issuer=self.issuer,
            operator=self.operator,
        )
        return TurnedOff(codes)
