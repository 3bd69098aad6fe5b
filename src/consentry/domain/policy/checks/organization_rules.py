"""The place for rules an organization's admins set (allow and block lists, unverified apps
blocked, per-API restrictions). They come with organizations; until then nothing is refused here.
"""

from consentry.domain.policy.decision import PROCEED, Decision
from consentry.domain.policy.facts import GateInput


def check(g: GateInput) -> Decision:
    return PROCEED
