"""What the consent page asks, and what a user's ticks mean (AUTH2-3, SCOPE-4, CONSENT-6)."""

from __future__ import annotations

from dataclasses import dataclass

from consentry.domain.scopes.catalogue import SIGN_IN


def to_ask(have: frozenset[str], requested: list[str], prompts: set[str]) -> list[str]:
    """Scopes the consent page offers: all on first use and with prompt=consent, else only the
    new ones (incremental authorization asks in context, SCOPE-4)."""
    if "consent" in prompts or not have:
        return list(requested)
    return [s for s in requested if s not in have]


@dataclass(frozen=True, slots=True)
class Ticks:
    #: What the user agreed to now: the sign-in scopes (they come with Allow) and ticked scopes.
    agreed: tuple[str, ...]
    #: Data scopes shown and left unticked: withdrawn from the grant, not silently kept.
    withdrawn: tuple[str, ...]
    #: Data scopes shown and not granted (the receipt lists them as denied).
    denied: tuple[str, ...]


def read_ticks(requested: list[str], offered: list[str], checked: list[str]) -> Ticks:
    """Only an explicit tick grants a data scope (CONSENT-6); a tick on a scope that was not
    offered (a forged form) grants nothing."""
    offered_set = set(offered)
    agreed = [s for s in requested if s in SIGN_IN or (s in checked and s in offered_set)]
    left = [s for s in offered if s not in SIGN_IN and s not in agreed]
    return Ticks(tuple(agreed), tuple(left), tuple(left))


def nothing_granted(offered: list[str]) -> Ticks:
    """Cancel, Back, or a refusal: every offered data scope denied, nothing withdrawn."""
    return Ticks((), (), tuple(s for s in offered if s not in SIGN_IN))
