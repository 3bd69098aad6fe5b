"""The policy gate: the ordered checks, and the one entry point every protocol calls.

Order matters and is declared only here (docs/policy.md draws it). Refusals that concern the app
itself come first (a suspended app learns nothing else), then what the request asks, then who
may use the app, then the screens a user goes past before consent::

    suspended -> undeclared scope -> internal only -> test users only -> assessment lapsed
      -> organization rules -> [testing warning] -> [unverified app / cap] -> consent
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from consentry.domain.policy.checks import (
    assessment_lapsed,
    internal_only,
    organization_rules,
    suspended,
    test_users_only,
    testing_warning,
    undeclared_scope,
    unverified_app,
)
from consentry.domain.policy.decision import PROCEED, Decision
from consentry.domain.policy.facts import GateInput, Moment

Check = Callable[[GateInput], Decision]


@dataclass(frozen=True)
class Rule:
    name: str
    check: Check
    #: When it applies: at the authorization (a user in front of a page), at the token endpoint.
    moments: frozenset[Moment]


BOTH = frozenset(Moment)
AUTHORIZE = frozenset({Moment.AUTHORIZE})

ORDER: tuple[Rule, ...] = (
    Rule("suspended", suspended.check, BOTH),
    Rule("undeclared_scope", undeclared_scope.check, AUTHORIZE),
    Rule("internal_only", internal_only.check, BOTH),
    Rule("test_users_only", test_users_only.check, BOTH),
    Rule("assessment_lapsed", assessment_lapsed.check, BOTH),
    Rule("organization_rules", organization_rules.check, BOTH),
    Rule("testing_warning", testing_warning.check, AUTHORIZE),
    Rule("unverified_app", unverified_app.check, AUTHORIZE),
)


#: Each moment's checks, in order: the gate runs on every token request, so not filtered each time.
CHECKS: dict[Moment, tuple[Check, ...]] = {
    moment: tuple(rule.check for rule in ORDER if moment in rule.moments) for moment in Moment
}


def evaluate(g: GateInput) -> Decision:
    """The first check that does not proceed decides; if none objects, proceed."""
    for check in CHECKS[g.ask.moment]:
        decision = check(g)
        if not decision.proceeds:
            return decision
    return PROCEED
