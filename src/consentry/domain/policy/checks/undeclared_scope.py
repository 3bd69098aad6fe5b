"""An app asks only for what its consent-screen configuration declares (VERIFY-2).

Sign-in scopes need no declaration: they reach nothing beyond who the user is.
"""

from consentry.domain.policy.decision import PROCEED, Decision, refuse
from consentry.domain.policy.facts import GateInput


def check(g: GateInput) -> Decision:
    undeclared = [s for s in g.ask.data_scopes() if s not in g.app.declared]
    if not undeclared:
        return PROCEED
    return refuse(
        "scope_undeclared",
        "The app asked for access it has not declared on its consent screen configuration.",
        "invalid_scope",
        token_error="invalid_scope",
        redirect=True,
    )
