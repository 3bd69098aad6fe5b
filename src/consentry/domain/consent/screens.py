"""Going past the screens the gate puts before consent: one rule for every protocol's pages.

A screen is a person's choice, so what a browser says it passed is taken at its word, except the
unverified-app screen: only the server's count of the user (``unverified.count_pass``) stands for
having gone past it, or one counted pass could carry any number of accounts past the cap.
"""

from __future__ import annotations

from dataclasses import dataclass

from consentry.domain.consent.entry import Plan

SCREENS = ("testing", "unverified")


def trusted(passed: frozenset[str] | set[str], *, counted: bool) -> frozenset[str]:
    """The screens a request may count as passed."""
    known = frozenset(passed) & frozenset(SCREENS)
    return known if counted else known - {"unverified"}


@dataclass(frozen=True, slots=True)
class Step:
    """What going past ``screen`` takes: nothing (it is not the one asked), or a pass, counted."""

    applies: bool
    counts: bool


def going_past(plan: Plan, screen: str, *, counted: bool) -> Step:
    """Only the screen the gate asks for now can be passed; the unverified one counts the user
    toward the app's cap (once, ever)."""
    if plan.screen is None or plan.screen != screen:
        return Step(False, False)
    return Step(True, screen == "unverified" and not counted)
