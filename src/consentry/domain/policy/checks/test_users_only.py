"""Publishing status Testing: only the listed test users (VERIFY-10, VERIFY-11)."""

from consentry.domain.policy.decision import PROCEED, Decision, refuse
from consentry.domain.policy.facts import GateInput


def check(g: GateInput) -> Decision:
    if g.app.status != "testing" or g.subject is None:
        return PROCEED
    if g.subject.email.lower() in g.app.test_users:
        return PROCEED
    return refuse(
        "not_a_test_user",
        "This app is still being tested and only its developer's test users can use it. "
        "If you should be one, ask the developer to add your address.",
        "access_denied",
    )
