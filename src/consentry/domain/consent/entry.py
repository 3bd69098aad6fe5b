"""The one entry point of an authorization decision: the policy gate, then what consent asks.

``/authorize``, ``/device`` and the legacy protocols' approval pages call :func:`plan` with the
facts they prefetched; the token endpoint calls :func:`at_token` for grants made earlier. The web
layer renders the plan; it decides nothing.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from consentry.domain.consent.asking import to_ask
from consentry.domain.policy import gate
from consentry.domain.policy.decision import Decision, Step
from consentry.domain.policy.facts import AppFacts, Ask, GateInput, Moment, Standing, Subject


@dataclass(frozen=True, slots=True)
class Plan:
    decision: Decision
    #: What the consent page offers (empty: nothing new to ask, issue at once).
    to_ask: tuple[str, ...]

    @property
    def refused(self) -> bool:
        return self.decision.next_step is Step.REFUSE

    @property
    def screen(self) -> str | None:
        return self.decision.screen if self.decision.next_step is Step.SCREEN else None

    @property
    def consent_due(self) -> bool:
        return self.decision.proceeds and bool(self.to_ask)


def plan(
    app: AppFacts,
    subject: Subject,
    requested: list[str],
    have: frozenset[str],
    *,
    classes: Mapping[str, str],
    now: int,
    prompts: set[str] | None = None,
    passed: frozenset[str] = frozenset(),
    standing: Standing | None = None,
) -> Plan:
    asking = to_ask(have, requested, prompts or set())
    ask = Ask(
        Moment.AUTHORIZE,
        tuple(requested),
        classes,
        new_consent=bool(asking),
        passed=passed,
        standing=standing,
        now=now,
    )
    return Plan(gate.evaluate(GateInput(app, subject, ask)), tuple(asking))


def at_token(
    app: AppFacts, subject: Subject | None, scopes: list[str], *, classes: Mapping[str, str], now: int
) -> Decision:
    """The gate for tokens on an earlier grant (refresh, device, JWT-bearer, client credentials)."""
    ask = Ask(Moment.TOKEN, tuple(scopes), classes, new_consent=False, now=now)
    return gate.evaluate(GateInput(app, subject, ask))
