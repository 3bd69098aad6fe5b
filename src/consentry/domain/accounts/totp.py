"""An authenticator app (TOTP, RFC 6238) as the second step of signing in (ACCT-3).

The shared secret must be read back to check a code, so it is sealed (AES-GCM under a key derived
from the root secret, bound to the account by the associated data) rather than hashed: a copy of
the table alone reveals nothing. A code is accepted for the current 30-second step or one step on
either side (clocks drift), and never for a step at or before the last accepted one (RFC 6238
§5.2): one conditional UPDATE moves ``last_step`` forward, so two processes given the same code at
the same instant cannot both accept it.

Setting up keeps nothing on the server until the first code is right: every set-up page gets a
fresh secret, sealed for that account and purpose with the time it was made, and carried in the
page's form (:attr:`Enrollment.sealed`); confirming opens it (refused after :data:`SETUP_TTL`, or
for another account), checks the code and only then stores the factor, confirmed. So a set-up left
unfinished by someone who had the password is never shown to the owner later: they get a secret of
their own.

Turning the app off deletes the factor; with no second step left, the recovery codes and app
passwords go too, and an organization that requires two-step verification keeps its member from
turning off their last second step (both rules: factor_removal.py).
"""

from __future__ import annotations

import base64
import binascii
import hmac
import time
from dataclasses import dataclass

import pyotp
from cryptography.exceptions import InvalidTag
from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from consentry.domain.accounts.factor_removal import after_factor_removed, check_removal, lock_factors
from consentry.domain.accounts.two_step_mail import security_notice
from consentry.domain.audit import record
from consentry.domain.audit.tags import AuditTag, Channel
from consentry.domain.keys.envelope import Envelope
from consentry.errors import Conflict, DomainError
from consentry.settings import Settings
from consentry.storage.tables import TotpFactor, User
from consentry.storage.tables.base import now
from consentry.storage.upsert import insert_for

PERIOD = 30
DIGITS = 6
#: Steps accepted on either side of the current one (RFC 6238 §5.2 recommends at most one).
WINDOW = 1
#: How long a set-up page's secret may be confirmed (seconds): time to find the phone, not a day.
SETUP_TTL = 600
#: The longest sealed secret a form may carry (a real one is ~90 characters).
MAX_SEALED = 400


@dataclass(frozen=True)
class Enrollment:
    """What the set-up page shows: the secret for typing in, the URI for the QR code, and the
    secret sealed for this account (with when it was made) for the form to carry back."""

    secret: str
    uri: str
    sealed: str

    @property
    def grouped(self) -> str:
        """``ABCD EFGH …``: easier to type into a phone than 32 characters in a row."""
        return " ".join(self.secret[i : i + 4] for i in range(0, len(self.secret), 4))


@dataclass(frozen=True)
class TurnedOff:
    #: Recovery codes deleted with the app (none when passkeys remain).
    recovery_codes_deleted: int
    #: App passwords revoked with the app (none when passkeys remain).
    app_passwords_revoked: int = 0


class SetupExpired(DomainError):
    """The set-up page's secret is older than :data:`SETUP_TTL`."""

    def __init__(self) -> None:
        super().__init__(
            "setup_expired",
            f"This set-up page was open for more than {SETUP_TTL // 60} minutes, so the key it showed "
            "has expired. Delete that entry from your authenticator app, add the new key shown below, "
            "then type the code the app shows for it.",
        )


class SetupInvalid(DomainError):
    """The form's sealed secret was made for another account, or was changed on the way."""

    def __init__(self) -> None:
        super().__init__(
            "setup_invalid",
            "This set-up form was not made for your account, or it was changed on the way. Add the "
            "new key shown below to your authenticator app, then type the code it shows.",
        )


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

    @staticmethod
    def _setup_aad(user_id: int) -> bytes:
        """A set-up's secret is bound to the account and to this purpose: never a stored factor."""
        return f"totp-setup:{user_id}".encode()

    def _shown(self, user: User, secret: str, sealed: str) -> Enrollment:
        uri = pyotp.TOTP(secret, digits=DIGITS, interval=PERIOD).provisioning_uri(
            name=user.email, issuer_name=self.operator
        )
        return Enrollment(secret, uri, sealed)

    def enrollment(self, session: Session, user: User, *, at: float | None = None) -> Enrollment:
        """A fresh secret for a set-up page (nothing stored: the form carries it, sealed)."""
        if factor_on(session, user.id):
            raise Conflict(
                "totp_on", "An authenticator app is already set up. Turn it off to set up another."
            )
        secret = pyotp.random_base32()
        issued = int(time.time() if at is None else at)
        blob = self.envelope.seal(f"{issued}:{secret}".encode(), self._setup_aad(user.id))
        return self._shown(user, secret, base64.urlsafe_b64encode(blob).rstrip(b"=").decode())

    def reopen(self, user: User, sealed: str, *, at: float | None = None) -> Enrollment:
        """The set-up a form carried back (to show again after a wrong code); raises
        :class:`SetupExpired` or :class:`SetupInvalid`."""
        return self._shown(user, self._opened(user.id, sealed, time.time() if at is None else at), sealed)

    def _opened(self, user_id: int, sealed: str, at: float) -> str:
        if not sealed or len(sealed) > MAX_SEALED:
            raise SetupInvalid()
        try:
            blob = base64.urlsafe_b64decode(sealed + "=" * (-len(sealed) % 4))
            issued, secret = self.envelope.open(blob, self._setup_aad(user_id)).decode().split(":", 1)
            made = int(issued)
        except (InvalidTag, ValueError, binascii.Error):
            raise SetupInvalid() from None
        if made > at + PERIOD:  # from the future: not one of ours
            raise SetupInvalid()
        if at - made > SETUP_TTL:
            raise SetupExpired()
        return secret

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
        self,
        session: Session,
        user: User,
        sealed: str,
        code: str,
        *,
        channel: Channel,
        at: float | None = None,
    ) -> bool:
        """The first code from the app for the set-up ``sealed`` carries: only now is the factor
        stored, confirmed (audited, mailed to the owner). False for a wrong code; raises
        :class:`SetupExpired` / :class:`SetupInvalid` for the form, ``totp_on`` if an app is on."""
        when = time.time() if at is None else at
        secret = self._opened(user.id, sealed, when)
        if factor_on(session, user.id):
            raise Conflict(
                "totp_on", "An authenticator app is already set up. Turn it off to set up another."
            )
        step = self._step_of(code, secret, when, 0)
        if step is None:
            return False
        # Rows left unconfirmed by set-ups before they were carried in the form are never a factor.
        session.execute(
            delete(TotpFactor).where(TotpFactor.user_id == user.id, TotpFactor.confirmed_at.is_(None))
        )
        stmt = insert_for(session)(TotpFactor).values(
            user_id=user.id,
            secret_sealed=self.envelope.seal(secret.encode(), self._aad(user.id)),
            confirmed_at=now(),
            last_step=step,
            created_at=now(),
        )
        conflict_free = stmt.on_conflict_do_nothing(index_elements=[TotpFactor.user_id])
        if session.scalar(conflict_free.returning(TotpFactor.user_id)) is None:  # a racing confirm won
            raise Conflict(
                "totp_on", "An authenticator app is already set up. Turn it off to set up another."
            )
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
        """Remove the app; refused while the organization requires a second step and it is the last.
        With no second step left, the recovery codes and app passwords go too (factor_removal.py)."""
        if not lock_factors(session, user).totp:
            raise Conflict("totp_off", "No authenticator app is set up for this account.")
        check_removal(session, user, totp=True)
        session.execute(delete(TotpFactor).where(TotpFactor.user_id == user.id))
        cleared = after_factor_removed(session, user, actor=actor, channel=channel)
        record(
            session,
            AuditTag.USER_2SV_DISABLE,
            actor=actor,
            data={
                "factor": "totp",
                "user": user.email,
                "recovery_codes_deleted": cleared.recovery_codes,
                "app_passwords_revoked": cleared.app_passwords,
            },
            channel=channel,
        )
        still = (
            "Your passkeys still protect your account."
            if cleared.two_step_left
            else "Signing in now asks for your password only; your recovery codes and app passwords "
            "no longer work."
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
        return TurnedOff(cleared.recovery_codes, cleared.app_passwords)


def factor_on(session: Session, user_id: int) -> bool:
    """The account has a confirmed authenticator app."""
    found = session.scalar(
        select(TotpFactor.user_id).where(TotpFactor.user_id == user_id, TotpFactor.confirmed_at.is_not(None))
    )
    return found is not None
