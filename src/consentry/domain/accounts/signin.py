"""Password sign-in with throttling that never locks an owner out: a decision with a reason code.

Order matters for exactness under concurrency: every attempt is *counted first* (one atomic UPSERT
per counter, committed before the slow password hash runs), then judged; so forty parallel guesses
can never all read "nine failures so far". A success gives its reservations back.

Who is asked for what:
- a browser that signed in to the account before (trusted device) has its own budget per account
  and is never refused because of other browsers or other people on its address;
- any other browser: past ``signin_account`` attempts on the account, or past
  ``signin_address_captcha`` attempts from its address, it must solve a CAPTCHA (a person can,
  a script guessing passwords pays for each guess);
- past ``signin_address`` attempts from one address the address waits, with backoff: password
  spraying over many accounts from one address stops there.
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from enum import StrEnum

from sqlalchemy.orm import Session

from consentry.domain.accounts.captcha import Captchas
from consentry.domain.accounts.devices import TrustedDevices
from consentry.domain.accounts.passwords import verify_password
from consentry.domain.accounts.service import find_user
from consentry.domain.ratelimit import Limit, Limiter, Limits
from consentry.domain.ratelimit.counters import RateCounters
from consentry.domain.secrets import new_secret
from consentry.storage.tables import User
from consentry.storage.tables.base import now

#: Longest email (RFC 5321) and password we look at; longer input is a wrong password (still hashed
#: against a dummy, so the answer takes as long as any other).
MAX_EMAIL = 320
MAX_PASSWORD = 1024


class Reason(StrEnum):
    OK = "ok"
    BAD_CREDENTIALS = "bad_credentials"
    CAPTCHA_REQUIRED = "captcha_required"
    CAPTCHA_WRONG = "captcha_wrong"
    ADDRESS_THROTTLED = "address_throttled"


@dataclass(frozen=True)
class Attempt:
    email: str
    password: str
    #: The client's address (web/client_address.py): an IPv4 address or an IPv6 /64.
    address: str
    #: The browser's device secret from its cookie, if any.
    device: str | None = None
    captcha_id: str = ""
    captcha_answer: str = ""


@dataclass(frozen=True)
class SignInDecision:
    reason: Reason
    explanation: str
    next_step: str
    user: User | None = None
    retry_after: int = 0
    #: The next attempt must come with a solved CAPTCHA: the page shows one.
    captcha: bool = False
    #: A new device secret for the browser's cookie, when it signed in with one we had not issued.
    device: str | None = None

    @property
    def ok(self) -> bool:
        return self.reason is Reason.OK


@dataclass
class Admission:
    """Counters this attempt reserved, to give back if the password is right."""

    reserved: list[tuple[Limit, str]] = field(default_factory=list)
    refused: SignInDecision | None = None
    captcha_next: bool = False


UnitOfWork = Callable[[], AbstractContextManager[Session]]
#: The counters' storage within a unit of work (storage/repositories/rate_counters.py).
CountersIn = Callable[[Session], RateCounters]


class PasswordSignIn:
    def __init__(
        self,
        units: UnitOfWork,
        counters: CountersIn,
        limiter: Limiter,
        limits: Limits,
        captchas: Captchas,
        devices: TrustedDevices,
    ) -> None:
        self.units = units
        self.counters = counters
        self.limiter = limiter
        self.limits = limits
        self.captchas = captchas
        self.devices = devices

    def attempt(self, attempt: Attempt) -> SignInDecision:
        email = attempt.email.strip().lower()
        if len(email) > MAX_EMAIL or len(attempt.password) > MAX_PASSWORD or "\x00" in email:
            email = ""  # counted like any other attempt, never matches an account
        t = now()
        with self.units() as session:
            user = find_user(session, email) if email else None
            trusted = user is not None and self.devices.is_trusted(session, attempt.device, user.id)
            solved = bool(attempt.captcha_id) and self.captchas.solve(
                session, attempt.captcha_id, attempt.captcha_answer
            )
            admission = self._admit(self.counters(session), email, attempt, trusted, solved, t)
            password_hash = user.password_hash if user is not None else None
        if admission.refused is not None:
            return admission.refused
        # The slow hash runs outside any transaction: no lock is held while it works.
        if not verify_password(password_hash, attempt.password) or user is None or user.disabled:
            return _bad_credentials(admission.captcha_next)
        with self.units() as session:
            self.give_back(session, admission, t)
            device = attempt.device if trusted else None
            if not trusted and attempt.device and self.devices.known(session, attempt.device):
                device = attempt.device  # a browser we trust for another account: one cookie for all
            issued = None
            if device is None:
                # Never trust a secret we did not hand out (a cookie planted by someone else).
                device = issued = new_secret()
            self.devices.trust(session, device, user.id)
        return SignInDecision(Reason.OK, "Signed in.", "continue", user=user, device=issued)

    def admit_app(self, session: Session, email: str, address: str, *, solved: bool, t: int) -> Admission:
        """Count an installed app's sign-in (ClientLogin) against the same budgets as the page's:
        per account and per address, never a trusted device (an app has no cookie)."""
        return self._admit(self.counters(session), email, Attempt(email, "", address), False, solved, t)

    def give_back(self, session: Session, admission: Admission, t: int) -> None:
        """The password was right: the reservations do not count as failures."""
        counters = self.counters(session)
        for limit, subject in admission.reserved:
            self.limiter.release(counters, limit, subject, t)

    def _admit(
        self, counters: RateCounters, email: str, attempt: Attempt, trusted: bool, solved: bool, t: int
    ) -> Admission:
        limits, hit = self.limits, self.limiter.hit
        address = hit(counters, limits.signin_address, attempt.address, t)
        admission = Admission(reserved=[(limits.signin_address, attempt.address)])
        throttled = not address.allowed and not solved
        if trusted:
            subject = f"{self.devices.device_hash(attempt.device or '')}:{email}"
            own = hit(counters, limits.signin_device, subject, t)
            admission.reserved.append((limits.signin_device, subject))
            needs_captcha = not own.allowed
            admission.captcha_next = own.count >= limits.signin_device.max
            # Within its own budget the owner's browser ignores its address; past it, it is a stranger.
            throttled = throttled and needs_captcha
        if throttled:
            # Past the address's limit a script waits, with backoff; a person types the CAPTCHA
            # shown with the message and is let through (people behind one NAT are not locked out).
            admission.refused = SignInDecision(
                Reason.ADDRESS_THROTTLED,
                "Too many sign-in attempts came from your network.",
                f"Wait {_duration(address.retry_after)}, or type the characters in the picture.",
                retry_after=address.retry_after,
                captcha=True,
            )
            return admission
        if not trusted:
            account = hit(counters, limits.signin_account, email, t)
            admission.reserved.append((limits.signin_account, email))
            needs_captcha = not account.allowed or address.count > limits.signin_address_captcha
            admission.captcha_next = (
                account.count >= limits.signin_account.max or address.count >= limits.signin_address_captcha
            )
        if needs_captcha and not solved:
            wrong = bool(attempt.captcha_id)
            admission.refused = SignInDecision(
                Reason.CAPTCHA_WRONG if wrong else Reason.CAPTCHA_REQUIRED,
                "The characters did not match the picture."
                if wrong
                else "There were many sign-in attempts for this account or from your network.",
                "Type the characters in the picture, with your email and password.",
                captcha=True,
            )
        return admission


def _bad_credentials(captcha_next: bool) -> SignInDecision:
    """The same answer for an unknown email and a wrong password (AUTH4-2)."""
    return SignInDecision(
        Reason.BAD_CREDENTIALS,
        "Wrong email or password.",
        "Type the characters in the picture, then try again."
        if captcha_next
        else "Check them and try again.",
        captcha=captcha_next,
    )


def _duration(seconds: int) -> str:
    if seconds < 90:
        return f"{seconds} seconds"
    minutes = (seconds + 59) // 60
    if minutes < 90:
        return f"{minutes} minutes"
    return f"{(minutes + 59) // 60} hours"
