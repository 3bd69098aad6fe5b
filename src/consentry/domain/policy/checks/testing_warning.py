"""A test user is warned before consenting to an app in Testing (VERIFY-10)."""

from consentry.domain.policy.decision import PROCEED, Decision, screen
from consentry.domain.policy.facts import GateInput, Moment


def check(g: GateInput) -> Decision:
    if g.app.status != "testing" or g.ask.moment is not Moment.AUTHORIZE:
        return PROCEED
    if not g.ask.new_consent or "testing" in g.ask.passed:
        return PROCEED
    return screen(
        "app_in_testing",
        "This app is being tested by its developer and has not been reviewed. Continue only if "
        "you know the developer.",
        "testing",
    )
