"""Restricted scopes need a security assessment renewed every 12 months (SEC-5, VERIFY-9).

Only an assessment that was recorded and has lapsed refuses: an approval given without one
(restricted data never reaches the app's servers) stands.
"""

from consentry.domain.policy.decision import PROCEED, Decision, refuse
from consentry.domain.policy.facts import GateInput


def check(g: GateInput) -> Decision:
    lapses = g.app.assessment_lapses_at
    if lapses is None or g.ask.now < lapses or not g.ask.of_class("restricted"):
        return PROCEED
    return refuse(
        "assessment_lapsed",
        "This app's security assessment has lapsed, so it cannot reach restricted data until it is renewed.",
        "access_denied",
        tell_developer=True,
    )
