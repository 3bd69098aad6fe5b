"""ClientLogin (AUTH4): an installed app trades an e-mail and password for an ``Auth`` token.

The decision only; ``web/legacy/clientlogin.py`` speaks the wire format. What it reuses, so that no
rule exists twice:
- the sign-in page's budgets and CAPTCHA (``PasswordSignIn.admit_app``): attempts are counted per
  account and per address *before* the password is judged, an unknown address is counted like a
  known one, and past the budget the answer is ``CaptchaRequired`` whether the account exists or
  not; the owner can unlock from a browser instead (:mod:`clientlogin_unlock`);
- app passwords (``app_passwords.matched``), the only way in for an account with two-step
  verification (``InvalidSecondFactor`` otherwise, as the reference platform answered);
- the policy gate (``consent.entry.plan``) for the built-in "ClientLogin (installed apps)" app:
  a user typing their password into an app is their consent and their pass past the
  unverified-app screen, but suspension, organization rules and the unverified-app user cap
  still refuse (``ServiceDisabled``).
A wrong password and an unknown account give the same answer (AUTH4-2), after the same argon2
work; the account's state (disabled, two-step) is told only to someone who knew its password.
"""

from __future__ import annotations

import enum
from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass

from sqlalchemy.orm import Session

from consentry.domain.accounts import app_passwords
from consentry.domain.accounts.captcha import Captchas
from consentry.domain.accounts.factors import factors_of
from consentry.domain.accounts.passwords import verify_password
from consentry.domain.accounts.service import find_user
from consentry.domain.accounts.signin import MAX_EMAIL, MAX_PASSWORD, PasswordSignIn
from consentry.domain.consent import entry, unverified
from consentry.domain.keys.envelope import Envelope
from consentry.domain.legacy import tokens
from consentry.domain.legacy.clientlogin_unlock import take_unlock
from consentry.domain.legacy.scope_map import LegacyScopes
from consentry.domain.orgs.policy_facts import org_policy
from consentry.domain.policy.checks.unverified_app import unapproved
from consentry.domain.policy.facts import AppFacts, Ask, Moment, Standing, Subject
from consentry.domain.secrets import Hasher, new_secret
from consentry.domain.tokens.store import Changes
from consentry.storage.tables import User
from consentry.storage.tables.base import now

ACCOUNT_TYPES = ("HOSTED_OR_GOOGLE", "GOOGLE", "HOSTED")
MAX_FIELD = 1024


class Error(enum.StrEnum):
    """The ``Error=`` codes (PLATFORM_RULES §3)."""

    BAD_AUTHENTICATION = "BadAuthentication"
    NOT_VERIFIED = "NotVerified"
    TERMS_NOT_AGREED = "TermsNotAgreed"
    CAPTCHA_REQUIRED = "CaptchaRequired"
    UNKNOWN = "Unknown"
    ACCOUNT_DELETED = "AccountDeleted"
    ACCOUNT_DISABLED = "AccountDisabled"
    SERVICE_DISABLED = "ServiceDisabled"
    SERVICE_UNAVAILABLE = "ServiceUnavailable"


@dataclass(frozen=True, slots=True)
class Login:
    """The form fields (``Email``, ``Passwd``, ``service``, ``source``, ``accountType``, retry)."""

    email: str
    password: str
    service: str
    source: str
    account_type: str
    address: str
    captcha_token: str = ""
    captcha_answer: str = ""


@dataclass(frozen=True, slots=True)
class Outcome:
    #: 200, 400 (malformed) or 403.
    status: int
    error: Error | None = None
    #: ``Info=`` line (``InvalidSecondFactor``).
    info: str | None = None
    #: CaptchaRequired: the challenge's id (``CaptchaToken``); its picture is served by id.
    captcha_token: str | None = None
    auth: str | None = None
    #: What the token store must commit before ``auth`` is handed out.
    changes: Changes | None = None
    #: Why, in words, for the log and the tests (never sent: old clients parse the body).
    detail: str = ""


Units = Callable[[], AbstractContextManager[Session]]


def malformed(login: Login) -> str | None:
    """What is wrong with the request, or None (AUTH4-3: 400 ``Error=Unknown``)."""
    for name, value in (("Email", login.email), ("Passwd", login.password), ("service", login.service)):
        if not value:
            return f"{name} is missing"
    if login.account_type not in ACCOUNT_TYPES:
        return f"accountType is one of {', '.join(ACCOUNT_TYPES)}"
    if any(len(v) > MAX_FIELD for v in (login.source, login.captcha_token, login.captcha_answer)):
        return "a field is too long"
    if "\x00" in login.source or "\x00" in login.service:
        return "a field holds a NUL character"
    return None


@dataclass
class ClientLogin:
    units: Units
    signin: PasswordSignIn
    captchas: Captchas
    hasher: Hasher
    #: The app-password hasher (its own purpose key: app_passwords.hasher_for).
    app_hasher: Hasher
    envelope: Envelope
    scopes: LegacyScopes
    unverified_cap: int
    issuer: str

    def login(self, login: Login, app: AppFacts, client_pk: int) -> Outcome:
        problem = malformed(login)
        if problem is not None:
            return Outcome(400, Error.UNKNOWN, detail=problem)
        service = self.scopes.service(login.service)
        if service is None:
            return Outcome(400, Error.UNKNOWN, detail=f"service {login.service!r} is not served here")
        email = login.email.strip().lower()
        if len(email) > MAX_EMAIL or len(login.password) > MAX_PASSWORD or "\x00" in email:
            email = ""  # counted like any other attempt, never matches an account
        t = now()
        with self.units() as session:
            user = find_user(session, email) if email else None
            solved = bool(login.captcha_token) and self.captchas.solve(
                session, login.captcha_token, login.captcha_answer
            )
            unlocked = user is not None and take_unlock(session, user.id, t)
            admission = self.signin.admit_app(session, email, login.address, solved=solved or unlocked, t=t)
            if admission.refused is not None:
                return Outcome(403, Error.CAPTCHA_REQUIRED, captcha_token=self.captchas.issue_id(session))
            app_password = (
                app_passwords.matched(session, self.app_hasher, email, login.password) if user else None
            )
            password_hash = user.password_hash if user is not None else None
        # The slow hash runs outside any transaction; skipped only for a right app password.
        password_ok = app_password is None and verify_password(password_hash, login.password)
        if (
            user is None
            or (app_password is None and not password_ok)
            or not _type_matches(user, login.account_type)
        ):
            return Outcome(403, Error.BAD_AUTHENTICATION, detail="unknown account or wrong password")
        with self.units() as session:
            self.signin.give_back(session, admission, t)
            if user.disabled:
                return Outcome(403, Error.ACCOUNT_DISABLED, detail="the account is disabled")
            if app_password is None and factors_of(session, user).due:
                return Outcome(
                    403,
                    Error.BAD_AUTHENTICATION,
                    info="InvalidSecondFactor",
                    detail="two-step account: use an app password",
                )
            refused = self._gate(session, app, user, service.scopes, t)
            if refused is not None:
                return Outcome(403, Error.SERVICE_DISABLED, detail=refused)
            issued = tokens.mint(
                self.hasher,
                self.envelope,
                protocol="clientlogin",
                client_pk=client_pk,
                user_id=user.id,
                scopes=service.scopes,
                lifetime=service.lifetime,
                lapses_at=tokens.consent_lapse(session, user.id, client_pk),
                target=service.code,
                source=login.source,
                family=app_passwords.token_family(app_password[1]) if app_password else None,
            )
        return Outcome(200, auth=issued.token, changes=Changes(legacy_tokens=[issued.stored]))

    def _gate(
        self, session: Session, app: AppFacts, user: User, scopes: tuple[str, ...], t: int
    ) -> str | None:
        """The reason code the policy gate refuses with, or None."""
        classes = self.scopes.catalogue.classes
        risky = bool(unapproved(app, Ask(Moment.AUTHORIZE, scopes, classes)))
        counted = risky and user.id in unverified.counted(session, app.project_id, [user.id])
        plan = entry.plan(
            app,
            Subject(
                user.id,
                user.email,
                user.hosted_domain,
                org_policy(session, user.hosted_domain, app.project_id, user.id),
            ),
            list(scopes),
            frozenset(),  # asked as new, so the unverified-app rules (screen, user cap) apply
            classes=classes,
            now=t,
            # The user chose the app and typed their password into it: past the screens.
            passed=frozenset({"testing", "unverified"} if counted or not risky else {"testing"}),
            standing=Standing(self.unverified_cap, counted) if risky else None,
        )
        if plan.screen == "unverified":
            # First ClientLogin of this account for a risky service: count it toward the cap.
            if not unverified.count_pass(session, app.project_id, user.id, self.unverified_cap, self.issuer):
                return "unverified_user_cap"
            return None
        if plan.refused or plan.screen is not None:
            return plan.decision.reason_code
        return None


def _type_matches(user: User, account_type: str) -> bool:
    """AUTH4-6: HOSTED is an organization's account, GOOGLE a consumer one; the default tries both."""
    if account_type == "HOSTED":
        return user.org_id is not None
    if account_type == "GOOGLE":
        return user.org_id is None
    return True


def new_sid() -> str:
    """``SID`` and ``LSID`` are sent because clients expect the lines; nothing accepts them."""
    return new_secret(24)
