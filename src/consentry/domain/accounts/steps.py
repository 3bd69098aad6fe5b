"""Sign-ins half done, and WebAuthn ceremonies in flight (storage/tables/signin_steps.py).

A step is bound to the browser that began it (the keyed hash of its session cookie), lives
``second_step_ttl`` seconds, and is used up by one conditional DELETE: a step can finish a sign-in
once. Wrong codes are counted by one atomic UPDATE; past ``second_step_attempts`` the step is
voided and the person starts again with the password (which is throttled, ACCT-7).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from consentry.domain.secrets import Hasher, new_secret
from consentry.storage.tables import SigninStep
from consentry.storage.tables.base import now

MAX_STEP_ID = 100


class StepPurpose(StrEnum):
    #: The password was right; a second step (code, recovery code, security key) is due.
    SECOND_STEP = "second_step"
    #: A passkey sign-in waits for the browser's assertion (no account known yet).
    PASSKEY_SIGNIN = "passkey_signin"
    #: A signed-in account is adding a passkey; the browser's attestation is due.
    PASSKEY_ENROLL = "passkey_enroll"


@dataclass(frozen=True)
class Step:
    purpose: StepPurpose
    user_id: int | None
    #: What was proven so far (domain/accounts/amr.py, stored form).
    amr: str
    #: The WebAuthn challenge (base64url), when one is pending.
    challenge: str
    flow: str
    next: str
    attempts: int
    expires_at: int


class SigninSteps:
    def __init__(self, hasher: Hasher, ttl: int, max_attempts: int) -> None:
        self.hasher = hasher
        self.ttl = ttl
        self.max_attempts = max_attempts

    def _key(self, step_id: str) -> str | None:
        if not step_id or len(step_id) > MAX_STEP_ID:
            return None
        return self.hasher.hash("signin-step:" + step_id)

    def begin(
        self,
        session: Session,
        session_hash: str,
        purpose: StepPurpose,
        *,
        user_id: int | None = None,
        amr: str = "",
        challenge: str = "",
        flow: str = "",
        next_: str = "",
    ) -> str:
        """Store a step; returns its id, for the page (a hidden field), never stored in clear."""
        step_id, t = new_secret(24), now()
        session.add(
            SigninStep(
                id_hash=self._key(step_id),
                session_hash=session_hash,
                purpose=purpose.value,
                user_id=user_id,
                amr=amr,
                challenge=challenge,
                flow=flow[:100],
                next=next_[:500],
                attempts=0,
                expires_at=t + self.ttl,
                created_at=t,
            )
        )
        session.flush()
        return step_id

    def read(self, session: Session, session_hash: str, step_id: str, purpose: StepPurpose) -> Step | None:
        """The step if it is this browser's, of this purpose, unexpired and not voided."""
        key = self._key(step_id)
        row = None if key is None else session.get(SigninStep, key)
        if (
            row is None
            or row.session_hash != session_hash
            or row.purpose != purpose.value
            or row.expires_at <= now()
            or row.attempts >= self.max_attempts
        ):
            return None
        return _step(row)

    def take(self, session: Session, session_hash: str, step_id: str, purpose: StepPurpose) -> Step | None:
        """Use the step up (atomic): None if it is gone, another browser's or expired.

        An answer counted by :meth:`spend` may be the last one allowed: a step is taken with
        ``attempts <= max`` (a voided step is deleted by :meth:`void`, so it is never found here).
        """
        key = self._key(step_id)
        row = None if key is None else session.get(SigninStep, key)
        if (
            row is None
            or row.session_hash != session_hash
            or row.purpose != purpose.value
            or row.expires_at <= now()
            or row.attempts > self.max_attempts
        ):
            return None
        step = _step(row)
        gone = session.execute(delete(SigninStep).where(SigninStep.id_hash == key))
        return step if int(gone.rowcount or 0) == 1 else None  # type: ignore[attr-defined]

    def spend(self, session: Session, session_hash: str, step_id: str, purpose: StepPurpose) -> Step | None:
        """Count an answer before it is judged (one conditional UPDATE): None once the step's
        answers are spent, so parallel guesses can never all slip under the limit."""
        key = self._key(step_id)
        if key is None:
            return None
        counted = session.execute(
            update(SigninStep)
            .where(
                SigninStep.id_hash == key,
                SigninStep.session_hash == session_hash,
                SigninStep.purpose == purpose.value,
                SigninStep.expires_at > now(),
                SigninStep.attempts < self.max_attempts,
            )
            .values(attempts=SigninStep.attempts + 1)
        )
        if int(counted.rowcount or 0) != 1:  # type: ignore[attr-defined]
            return None
        row = session.get(SigninStep, key, populate_existing=True)
        return None if row is None else _step(row)

    def void(self, session: Session, step_id: str) -> None:
        """End the step: the person starts again with the password."""
        key = self._key(step_id)
        if key is not None:
            session.execute(delete(SigninStep).where(SigninStep.id_hash == key))

    def set_challenge(
        self, session: Session, session_hash: str, step_id: str, purpose: StepPurpose, challenge: str
    ) -> bool:
        """Pin a WebAuthn challenge on a live step of this browser (a newer one replaces it)."""
        key = self._key(step_id)
        if key is None:
            return False
        done = session.execute(
            update(SigninStep)
            .where(
                SigninStep.id_hash == key,
                SigninStep.session_hash == session_hash,
                SigninStep.purpose == purpose.value,
                SigninStep.expires_at > now(),
                SigninStep.attempts < self.max_attempts,
            )
            .values(challenge=challenge)
        )
        return int(done.rowcount or 0) == 1  # type: ignore[attr-defined]

    def wrong(self, session: Session, step_id: str) -> int:
        """Count a wrong answer (atomic); returns the attempts left (0: the step is void)."""
        key = self._key(step_id)
        if key is None:
            return 0
        session.execute(
            update(SigninStep).where(SigninStep.id_hash == key).values(attempts=SigninStep.attempts + 1)
        )
        attempts = session.scalar(select(SigninStep.attempts).where(SigninStep.id_hash == key))
        if attempts is None or attempts >= self.max_attempts:
            session.execute(delete(SigninStep).where(SigninStep.id_hash == key))
            return 0
        return self.max_attempts - attempts


def _step(row: SigninStep) -> Step:
    return Step(
        StepPurpose(row.purpose),
        row.user_id,
        row.amr,
        row.challenge,
        row.flow,
        row.next,
        row.attempts,
        row.expires_at,
    )
