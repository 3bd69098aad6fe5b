"""After the right password: is a second step due, and is the answer to it right? (ACCT-3)

The sign-in page asks :meth:`SecondStep.begin` once the password is right: an account with an
authenticator app or a passkey, or whose organization requires two-step verification, gets a step
(domain/accounts/steps.py: bound to the browser, short-lived, single-use) instead of a session.
The verify page then checks a code or a recovery code against that step. Every answer is counted
before it is judged, twice: on the step (past ``second_step_attempts`` it is void and the person
starts again with the password) and on the account, across sign-ins (second_step_budget.py: the
password does not reset it, so codes cannot be guessed by starting over). A right one uses the
step up and signs in with ``amr`` pwd+otp+mfa. A member of an organization that requires
two-step and has no second step sets up an authenticator app on the verify page itself (a fresh
secret for every page, carried sealed in its form: totp.py), sees their recovery codes once, and is
signed in with the password alone (``amr`` pwd): the new code proves only that they scanned what we
showed; the factor counts from the next sign-in.

Every answer is a :class:`Decision` with a reason code; the pages only render it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from enum import StrEnum

from sqlalchemy.orm import Session

from consentry.domain.accounts.amr import PASSWORD, PASSWORD_AND_CODE, encode
from consentry.domain.accounts.factors import Factors, factors_of
from consentry.domain.accounts.recovery_codes import RecoveryCodes
from consentry.domain.accounts.second_step_budget import SecondStepBudget
from consentry.domain.accounts.steps import SigninSteps, Step, StepPurpose
from consentry.domain.accounts.totp import Enrollment, Totp
from consentry.domain.audit.tags import Channel
from consentry.errors import DomainError
from consentry.storage.tables import User


class Reason(StrEnum):
    OK = "ok"
    WRONG_CODE = "wrong_code"
    STEP_EXPIRED = "step_expired"
    TOO_MANY_ATTEMPTS = "too_many_attempts"
    SETUP_REQUIRED = "setup_required"
    ACCOUNT_THROTTLED = "account_throttled"
    #: The set-up form's sealed secret expired or is not this account's: a new one is shown.
    SETUP_STALE = "setup_stale"


#: What each refusal says, and what to do next (the sign-in page shows these by reason code too).
WORDS: dict[Reason, tuple[str, str]] = {
    Reason.WRONG_CODE: ("That code didn't work.", "Check the code and try again."),
    Reason.STEP_EXPIRED: ("Your sign-in took too long.", "Sign in again with your password."),
    Reason.TOO_MANY_ATTEMPTS: ("Too many wrong codes.", "Sign in again with your password."),
    Reason.ACCOUNT_THROTTLED: (
        "Too many wrong codes for this account.",
        "Wait a while, then sign in again; or use a passkey.",
    ),
    Reason.SETUP_REQUIRED: (
        "Your organization requires two-step verification.",
        "Set up an authenticator app to continue.",
    ),
    Reason.SETUP_STALE: (
        "This set-up page is too old, or was not made for your account.",
        "Add the new key shown below to your authenticator app, then type the code it shows.",
    ),
}


@dataclass(frozen=True)
class Pending:
    """A step waiting for its answer, with what the verify page offers."""

    step: Step
    user: User
    factors: Factors

    @property
    def setup_required(self) -> bool:
        """Required by the organization, and nothing to ask yet: set up an app right here."""
        return self.factors.required and not self.factors.two_step


@dataclass(frozen=True)
class Decision:
    reason: Reason
    explanation: str
    next_step: str
    user: User | None = None
    #: The step as it was (where to go next: the paused flow or ``next``), when it was readable.
    step: Step | None = None
    #: Tries left after a wrong code.
    attempts_left: int = 0
    #: How the person signed in (domain/accounts/amr.py, stored form), when OK.
    amr: str = ""
    #: Recovery codes made by a set-up at sign-in: shown to the person once.
    recovery_codes: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.reason is Reason.OK


def refusal(reason: Reason, *, step: Step | None = None, left: int = 0) -> Decision:
    explanation, next_step = WORDS[reason]
    if reason is Reason.WRONG_CODE:
        next_step = f"{next_step} {left} {'try' if left == 1 else 'tries'} left."
    return Decision(reason, explanation, next_step, step=step, attempts_left=left)


class SecondStep:
    def __init__(
        self, steps: SigninSteps, totp: Totp, codes: RecoveryCodes, budget: SecondStepBudget
    ) -> None:
        self.steps = steps
        self.totp = totp
        self.codes = codes
        self.budget = budget

    def begin(self, session: Session, session_hash: str, user: User, *, flow: str, next_: str) -> str | None:
        """A step id when a second step is due (the password is proven), else None: sign in now."""
        if not factors_of(session, user).due:
            return None
        return self.steps.begin(
            session,
            session_hash,
            StepPurpose.SECOND_STEP,
            user_id=user.id,
            amr=encode(PASSWORD),
            flow=flow,
            next_=next_,
        )

    def pending(self, session: Session, session_hash: str, step_id: str) -> Pending | None:
        """The step if this browser's, unexpired, not voided, for an account that may still sign in."""
        step = self.steps.read(session, session_hash, step_id, StepPurpose.SECOND_STEP)
        if step is None or step.user_id is None:
            return None
        user = session.get(User, step.user_id)
        if user is None or user.disabled:
            return None
        return Pending(step, user, factors_of(session, user))

    def setup(
        self, session: Session, session_hash: str, step_id: str, *, sealed: str = ""
    ) -> tuple[Pending, Enrollment] | None:
        """The app to set up at sign-in (only when the organization requires it and nothing is set up):
        a fresh secret, or the one ``sealed`` carried back when it is still good (after a wrong code)."""
        pending = self.pending(session, session_hash, step_id)
        if pending is None or not pending.setup_required:
            return None
        if sealed:
            try:
                return pending, self.totp.reopen(pending.user, sealed)
            except DomainError:
                pass  # expired or not this account's: a fresh one
        return pending, self.totp.enrollment(session, pending.user)

    # --- answers --------------------------------------------------------------------------------
    def check_code(self, session: Session, session_hash: str, step_id: str, code: str) -> Decision:
        """A code from the authenticator app."""
        return self._answer(
            session, session_hash, step_id, lambda p: self.totp.verify(session, p.user.id, code)
        )

    def check_recovery(self, session: Session, session_hash: str, step_id: str, code: str) -> Decision:
        """One of the recovery codes: spent even if the step is then found taken (never reusable).

        Not a way around an organization's rule: a member with nothing else set up must set up an
        app first (a recovery code only stands in for a second step that exists)."""
        return self._answer(
            session,
            session_hash,
            step_id,
            lambda p: self.codes.use(session, p.user, code, channel=Channel.WEB),
        )

    def confirm_setup(
        self, session: Session, session_hash: str, step_id: str, sealed: str, code: str
    ) -> Decision:
        """The first code from the app set up at sign-in, for the secret its form carried sealed:
        the factor is on, ten recovery codes made. A stale or foreign secret is no answer (not
        counted): the page shows a fresh one and says why."""
        pending = self.pending(session, session_hash, step_id)
        if pending is None:
            return refusal(Reason.STEP_EXPIRED)
        if not pending.setup_required:
            return self.check_code(session, session_hash, step_id, code)
        try:
            self.totp.reopen(pending.user, sealed)
        except DomainError as exc:
            return Decision(Reason.SETUP_STALE, exc.message, "", step=pending.step)  # says what next

        def right(p: Pending) -> bool:
            try:
                return self.totp.confirm(session, p.user, sealed, code, channel=Channel.WEB)
            except DomainError:  # expired since the check above, or set up by a racing request
                return False

        done = self._answer(session, session_hash, step_id, right, setup=True)
        if not done.ok:
            return done
        codes = self.codes.generate(session, pending.user, actor=pending.user.email, channel=Channel.WEB)
        return Decision(
            Reason.OK,
            done.explanation,
            done.next_step,
            pending.user,
            done.step,
            amr=done.amr,
            recovery_codes=codes,
        )

    def _answer(
        self,
        session: Session,
        session_hash: str,
        step_id: str,
        right: Callable[[Pending], bool],
        *,
        setup: bool = False,
    ) -> Decision:
        """Count the answer on the account and on the step, then judge it."""
        pending = self.pending(session, session_hash, step_id)
        if pending is None:
            return refusal(Reason.STEP_EXPIRED)
        if pending.setup_required and not setup:
            return refusal(Reason.SETUP_REQUIRED, step=pending.step)
        spent = self.steps.spend(session, session_hash, step_id, StepPurpose.SECOND_STEP)
        if spent is None:
            return refusal(Reason.TOO_MANY_ATTEMPTS, step=pending.step)
        if self.budget.admit(session, pending.user):
            self.steps.void(session, step_id)
            return refusal(Reason.ACCOUNT_THROTTLED, step=pending.step)
        if not right(pending):
            left = self.steps.max_attempts - spent.attempts
            if left <= 0:
                self.steps.void(session, step_id)
                return refusal(Reason.TOO_MANY_ATTEMPTS, step=pending.step)
            return refusal(Reason.WRONG_CODE, step=pending.step, left=left)
        self.budget.give_back(session, pending.user)
        step = self.steps.take(session, session_hash, step_id, StepPurpose.SECOND_STEP)
        if step is None:  # finished by a request that raced this one
            return refusal(Reason.STEP_EXPIRED, step=pending.step)
        amr = encode(PASSWORD if setup else PASSWORD_AND_CODE)
        return Decision(Reason.OK, "Signed in.", "continue", pending.user, step, amr=amr)
