"""How many second-step answers an account may give, across sign-ins (ACCT-3, ACCT-7).

Each half-done sign-in allows ``second_step_attempts`` answers, but whoever knows the password can
start a new one at will: without a budget per account, six-digit codes could be guessed by starting
over. Every answer is counted first (one atomic UPSERT) and judged after; a right answer gives its
count back, so the owner never spends the budget. Past it, answers are refused until the window
ends, and the owner is mailed once per window: someone has their password.

The budget is per account, not per browser: a stranger with the password can make the owner wait
for the window (``CONSENTRY_LOGIN_WINDOW``) before a code is taken again. Passkeys, which cannot be
guessed, do not go through it, and the owner is told to change the password, which ends it.
"""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy.orm import Session

from consentry.domain.accounts.two_step_mail import security_notice
from consentry.domain.audit.tags import AuditTag
from consentry.domain.ratelimit import Limiter, Limits
from consentry.domain.ratelimit.counters import RateCounters
from consentry.storage.tables import User
from consentry.storage.tables.base import now

CountersIn = Callable[[Session], RateCounters]


class SecondStepBudget:
    def __init__(
        self, limiter: Limiter, limits: Limits, counters: CountersIn, *, issuer: str, operator: str
    ) -> None:
        self.limiter = limiter
        self.limit = limits.second_step_account
        self.counters = counters
        self.issuer = issuer
        self.operator = operator

    def admit(self, session: Session, user: User) -> int:
        """Count one answer; 0 if it may be judged, else the seconds to wait."""
        verdict = self.limiter.hit(self.counters(session), self.limit, str(user.id), now())
        if verdict.allowed:
            return 0
        if verdict.count == self.limit.max + 1:  # the first refusal of this window: tell the owner
            security_notice(
                session,
                user,
                AuditTag.USER_2SV_GUESSING,
                "many wrong two-step codes",
                "Someone typed your password correctly, then many wrong two-step verification codes.\n"
                "Codes are refused for a while. Your password is known to someone else: change it.\n",
                issuer=self.issuer,
                operator=self.operator,
            )
        return verdict.retry_after

    def give_back(self, session: Session, user: User) -> None:
        """A right answer: it did not spend the budget."""
        self.limiter.release(self.counters(session), self.limit, str(user.id), now())
