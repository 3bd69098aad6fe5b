"""The gate's inputs, read before Authlib runs: the app, the user, and what is asked.

Everything here is plain data prefetched with the client snapshot (``AppFacts``) or the browser's
accounts (``Subject``); the gate itself never reads the database, so it runs the same on every
protocol and in table-driven tests.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass, field

from consentry.domain.scopes.catalogue import SIGN_IN

DAY = 24 * 3600
#: A letter of assessment is good for 12 months (SEC-5).
ASSESSMENT_VALID = 365 * DAY
RISKY = ("sensitive", "restricted")


class Moment(enum.Enum):
    #: The user is in front of a page (/authorize, /device, a legacy approval page).
    AUTHORIZE = "authorize"
    #: An app asks the token endpoint for tokens on a grant made earlier (refresh, device, JWT-bearer).
    TOKEN = "token"


@dataclass(frozen=True, slots=True)
class AppFacts:
    """A project's policy-relevant state; attribute names follow the ``projects`` table."""

    project_id: int
    status: str = "production"
    user_type: str = "external"
    org_domain: str | None = None
    declared: frozenset[str] = frozenset()
    approved: frozenset[str] = frozenset()
    test_users: frozenset[str] = frozenset()
    suspended_reason: str | None = None
    #: The latest letter of assessment's date, and the scopes it covers (None: none recorded).
    assessment_date: int | None = None
    #: Distinct users counted toward the unverified-app cap so far (a hint: counting is atomic).
    unverified_users: int = 0
    #: The brand (name, logo, domains) is as a reviewer last approved it: approvals stand.
    brand_reviewed: bool = True
    #: The name on the consent screen ("" until the developer sets one): for refusal pages.
    app_name: str = ""

    @property
    def suspended(self) -> bool:
        return self.suspended_reason is not None

    @property
    def assessment_lapses_at(self) -> int | None:
        return None if self.assessment_date is None else self.assessment_date + ASSESSMENT_VALID


@dataclass(frozen=True, slots=True)
class OrgPolicy:
    """What the admins of the subject's organization decided about this app (issue 14)."""

    #: allow | sign-in-only | block: for apps the admins have not configured.
    unconfigured: str = "allow"
    #: trusted | limited | blocked, or None: not configured.
    access: str | None = None
    #: Installed for every member by the admins: exempt from verification here (VERIFY-10).
    installed: bool = False
    #: APIs only trusted apps may reach (mail, files, chat, meetings, calendar).
    restricted_apis: frozenset[str] = frozenset()
    #: The organization's own words on every refusal its rules make.
    message: str = ""
    #: The org's own Internal apps need the admins' approval before first use.
    internal_approval: bool = False
    #: The admins approved this member's request for this app.
    approved_request: bool = False


@dataclass(frozen=True, slots=True)
class Subject:
    """The account the request is for."""

    user_id: int
    email: str
    org_domain: str | None = None
    #: Its organization's rules for the app asking (None: no organization, or nothing loaded).
    org: OrgPolicy | None = None


@dataclass(frozen=True, slots=True)
class Standing:
    """Where the user stands with the app's unverified-app cap (read only when it can matter)."""

    cap: int
    #: The user was counted before (they passed the screen once): never refused by the cap.
    counted: bool = False


@dataclass(frozen=True, slots=True)
class Ask:
    moment: Moment
    scopes: tuple[str, ...]
    #: Scope URI -> class ("non-sensitive", "sensitive", "restricted").
    classes: Mapping[str, str] = field(default_factory=dict)
    #: A consent screen is due (new scopes, or asked again): the other screens come before it.
    new_consent: bool = True
    #: Screens the user already went past in this flow.
    passed: frozenset[str] = frozenset()
    standing: Standing | None = None
    now: int = 0

    def data_scopes(self) -> list[str]:
        return [s for s in self.scopes if s not in SIGN_IN]

    def of_class(self, *classes: str) -> list[str]:
        return [s for s in self.scopes if self.classes.get(s) in classes]


@dataclass(frozen=True, slots=True)
class GateInput:
    app: AppFacts
    subject: Subject | None
    ask: Ask
