"""LIMIT-6, DATA-3: a suspended app gets nothing, on any protocol, until it is reinstated."""

from consentry.domain.policy.decision import PROCEED, Decision, refuse
from consentry.domain.policy.facts import GateInput


def check(g: GateInput) -> Decision:
    if not g.app.suspended:
        return PROCEED
    return refuse(
        "app_suspended",
        "The platform suspended this app for breaking its rules: "
        f"{g.app.suspended_reason or 'no reason given'}. It cannot reach your account.",
        "access_denied",
        token_error="unauthorized_client",
    )
