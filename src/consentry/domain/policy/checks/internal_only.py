"""User type Internal: only users of the organization that owns the project (``org_internal``)."""

from consentry.domain.policy.decision import PROCEED, Decision, refuse
from consentry.domain.policy.facts import GateInput


def check(g: GateInput) -> Decision:
    if g.app.user_type != "internal" or g.subject is None:
        return PROCEED
    if g.app.org_domain is not None and g.subject.org_domain == g.app.org_domain:
        return PROCEED
    return refuse(
        "org_internal",
        f"This app is only for people in {g.app.org_domain or 'its organization'}. "
        "Sign in with an account of that organization, or ask its administrator.",
        "org_internal",
    )
