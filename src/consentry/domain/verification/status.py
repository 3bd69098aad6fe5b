"""Where a project's verification stands and what is still missing, as data (VERIFY-2..10).

The project page, the API, ``consentry project show`` and ``consentry review show`` all render
this one answer: each missing item is a reason code with plain words and the next action, so no
view decides anything.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from consentry.domain.verification.exceptions import EXPLAINED as EXEMPTION_EXPLAINED
from consentry.domain.verification.exceptions import Exemption
from consentry.domain.verification.states import EXPLAINED as STATE_EXPLAINED
from consentry.domain.verification.states import OPEN, ReviewState

#: A letter of validation is good for this long (SEC-5: "renewed at least every 12 months").
ASSESSMENT_DAYS = 365
DAY = 86400


@dataclass(frozen=True)
class Assessment:
    letter_date: int
    scopes: frozenset[str]
    tier: int

    @property
    def lapses_at(self) -> int:
        return self.letter_date + ASSESSMENT_DAYS * DAY


@dataclass(frozen=True)
class ProjectFacts:
    """Everything the rules read, gathered by the service in one place."""

    app_name: str
    has_logo: bool
    support_email: str
    home_page: str
    privacy_policy: str
    authorized_domains: tuple[str, ...]
    verified_domains: frozenset[str]
    developer_contacts: tuple[str, ...]
    #: Declared scopes by class: {"non-sensitive": [...], "sensitive": [...], "restricted": [...]}.
    declared: dict[str, tuple[str, ...]]
    approved: frozenset[str]
    exemptions: tuple[Exemption, ...]
    review_state: str | None = None
    review_reasons: tuple[str, ...] = ()
    #: The brand now, and as it was when a review approved it (None: never approved).
    brand_now: dict[str, object] = field(default_factory=dict)
    brand_approved: dict[str, object] | None = None
    #: Whether restricted data reaches the app's servers (SEC-5); True until the developer says not.
    server_access: bool = True
    assessment: Assessment | None = None
    now: int = 0


@dataclass(frozen=True)
class Missing:
    code: str
    message: str
    #: The section of the project page where it is fixed.
    section: str


@dataclass(frozen=True)
class VerificationStatus:
    needed: str  # "none" | "sensitive" | "restricted"
    unapproved: tuple[str, ...]
    missing: tuple[Missing, ...]
    exemptions: tuple[Exemption, ...]
    review_state: str | None
    headline: str
    next_action: str
    assessment_required: bool
    assessment_lapses_at: int | None

    @property
    def ready_to_submit(self) -> bool:
        """Nothing left for the developer before submitting (assessments are recorded after)."""
        open_ = self.review_state is not None and ReviewState(self.review_state) in OPEN
        to_review = any(m.section == "review" for m in self.missing)
        return to_review and not open_ and not any(m.section in BEFORE_SUBMIT for m in self.missing)

    @property
    def verified(self) -> bool:
        return self.needed != "none" and not self.unapproved and not self.missing

    def as_dict(self) -> dict[str, object]:
        return {
            "needed": self.needed,
            "verified": self.verified,
            "unapproved_scopes": list(self.unapproved),
            "missing": [{"code": m.code, "message": m.message, "section": m.section} for m in self.missing],
            "exemptions": [{"code": e.value, "message": EXEMPTION_EXPLAINED[e]} for e in self.exemptions],
            "review_state": self.review_state,
            "headline": self.headline,
            "next_action": self.next_action,
            "ready_to_submit": self.ready_to_submit,
            "assessment_required": self.assessment_required,
            "assessment_lapses_at": self.assessment_lapses_at,
        }


def _brand_missing(f: ProjectFacts) -> list[Missing]:
    out = []
    if not f.app_name:
        out.append(
            Missing("app_name", "Give the app the name users will see on the consent screen.", "brand")
        )
    if not f.has_logo:
        out.append(Missing("logo", "Upload a logo (a square PNG, JPEG, GIF or WebP image).", "brand"))
    if not f.support_email:
        out.append(Missing("support_email", "Give a support email address users can write to.", "brand"))
    if not f.home_page:
        out.append(Missing("home_page", "Give the app's public home page.", "brand"))
    if not f.privacy_policy:
        out.append(
            Missing("privacy_policy", "Give the app's privacy policy, on the home page's domain.", "brand")
        )
    if not f.developer_contacts:
        out.append(Missing("developer_contacts", "Give at least one developer contact email.", "brand"))
    if not f.authorized_domains:
        out.append(
            Missing("authorized_domains", "List the domains the home page and policy live on.", "domains")
        )
    for domain in f.authorized_domains:
        if domain not in f.verified_domains:
            out.append(
                Missing(
                    f"domain_unverified:{domain}",
                    f"Prove you own {domain} (a DNS TXT record or a file on the site).",
                    "domains",
                )
            )
    return out


def evaluate(f: ProjectFacts) -> VerificationStatus:
    risky = [*f.declared.get("sensitive", ()), *f.declared.get("restricted", ())]
    restricted = f.declared.get("restricted", ())
    needed = "restricted" if restricted else "sensitive" if risky else "none"
    unapproved = tuple(s for s in risky if s not in f.approved)
    missing: list[Missing] = []
    if needed != "none":
        missing += _brand_missing(f)
        if f.brand_approved is not None and f.brand_approved != f.brand_now:
            missing.append(
                Missing(
                    "brand_changed",
                    "The app's name, logo or domains changed since the last approval: "
                    "submit for review again.",
                    "review",
                )
            )
        if unapproved:
            missing.append(
                Missing(
                    "scopes_unapproved", f"{len(unapproved)} scope(s) need a reviewer's approval.", "review"
                )
            )
    required = bool(restricted) and f.server_access
    lapses = f.assessment.lapses_at if f.assessment else None
    if required:
        if f.assessment is None:
            missing.append(
                Missing(
                    "assessment_missing",
                    "Restricted data reaches your servers, so a security assessment by an authorized "
                    "assessor is needed; a reviewer records its letter of validation.",
                    "assessment",
                )
            )
        elif f.now >= f.assessment.lapses_at:
            missing.append(
                Missing(
                    "assessment_lapsed", "The security assessment lapsed: a new one is needed.", "assessment"
                )
            )
        else:
            uncovered = [s for s in restricted if s not in f.assessment.scopes]
            if uncovered:
                missing.append(
                    Missing(
                        "assessment_uncovered",
                        "The security assessment does not cover: " + ", ".join(uncovered) + ".",
                        "assessment",
                    )
                )
    headline, action = _headline(f, needed, unapproved, missing)
    # An exemption only matters while something is still unverified.
    exempt = f.exemptions if needed != "none" and missing else ()
    return VerificationStatus(
        needed=needed,
        unapproved=unapproved,
        missing=tuple(missing),
        exemptions=exempt,
        review_state=f.review_state,
        headline=headline,
        next_action=action,
        assessment_required=required,
        assessment_lapses_at=lapses,
    )


#: One line per exemption for the headline (the long text is in exemptions.EXPLAINED).
EXEMPTION_SHORT: dict[Exemption, str] = {
    Exemption.TESTING: "In Testing, only your test users can use it meanwhile.",
    Exemption.INTERNAL: "As an Internal app, your organization's users can use it meanwhile.",
    Exemption.PERSONAL_USE: "Meanwhile only the project's members use it (personal use).",
    Exemption.SERVICE_ACCOUNT_ONLY: "Service accounts only: no user consents to it.",
    Exemption.DOMAIN_WIDE: "Installed domain-wide by an organization admin.",
}
#: Sections whose items the developer must finish before submitting; assessments come after.
BEFORE_SUBMIT = ("brand", "domains")


def _headline(
    f: ProjectFacts, needed: str, unapproved: tuple[str, ...], missing: list[Missing]
) -> tuple[str, str]:
    state = ReviewState(f.review_state) if f.review_state else None
    if needed == "none":
        return "No verification needed: the app asks only non-sensitive scopes.", "Nothing to do."
    if state in OPEN:
        action = (
            "Answer the reviewers' question below."
            if state is ReviewState.WAITING_FOR_DEVELOPER
            else "Wait for the reviewers; you will get an email."
        )
        return STATE_EXPLAINED[state], action
    if not missing:
        return "Verified: every sensitive and restricted scope is approved.", "Nothing to do."
    to_review = [m for m in missing if m.section == "review"]
    if not to_review:  # everything approved; only the security assessment is missing or lapsed
        first = missing[0]
        return "The scopes are approved, but the security assessment is not in order.", first.message
    lead = ""
    if state in (ReviewState.REJECTED, ReviewState.CANCELLED, ReviewState.EXPIRED):
        lead = STATE_EXPLAINED[state] + " "
    before = next((m for m in missing if m.section in BEFORE_SUBMIT), None)
    action = before.message if before is not None else "Submit the app for verification."
    count = f"{len(unapproved)} scope(s)" if unapproved else "the changed brand"
    tail = f" {EXEMPTION_SHORT[f.exemptions[0]]}" if f.exemptions else ""
    return lead + f"Verification needed for {count} before the app is public.{tail}", action
