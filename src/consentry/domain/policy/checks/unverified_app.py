"""VERIFY-11: an External app in production asking sensitive or restricted scopes no reviewer
approved shows the unverified-app screen before consent, and is capped at a lifetime number of
distinct users who went past it. Apps asking only non-sensitive scopes never see either.
"""

from consentry.domain.policy.decision import PROCEED, Decision, refuse, screen
from consentry.domain.policy.facts import RISKY, AppFacts, Ask, GateInput, Moment

CAP_REACHED = refuse(
    "unverified_cap_reached",
    "Sign-in to this app is disabled for new users: it has not been verified and has reached "
    "its limit of users. Its developer has been told.",
    "access_denied",
    tell_developer=True,
)


def unapproved(app: AppFacts, ask: Ask) -> list[str]:
    """The risky scopes asked that no approval covers (empty: the screen does not apply)."""
    if app.user_type != "external" or app.status != "production":
        return []
    if not app.brand_reviewed:  # approvals were given to another name or logo (VERIFY-3)
        return ask.of_class(*RISKY)
    return [s for s in ask.of_class(*RISKY) if s not in app.approved]


def check(g: GateInput) -> Decision:
    if g.ask.moment is not Moment.AUTHORIZE or not g.ask.new_consent or not unapproved(g.app, g.ask):
        return PROCEED
    if g.subject is not None and g.subject.org is not None and g.subject.org.installed:
        return PROCEED  # installed by the user's organization: no verification there (VERIFY-10)
    standing = g.ask.standing
    if standing is not None and not standing.counted and g.app.unverified_users >= standing.cap:
        return CAP_REACHED
    if "unverified" in g.ask.passed:
        return PROCEED
    return screen(
        "app_unverified",
        "This app has not been verified: no reviewer has checked how it uses the data it asks for.",
        "unverified",
    )
