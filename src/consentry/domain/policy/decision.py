"""What the policy gate answers: a reason code, words for the user, and what happens next."""

from __future__ import annotations

import enum
from dataclasses import dataclass


class Step(enum.Enum):
    #: Nothing in the way: go on to the next check (or, after the last, to consent or tokens).
    PROCEED = "proceed"
    #: Show the user a screen first (``Decision.screen``); going past it is the user's choice.
    SCREEN = "screen"
    #: Refuse with the protocol's error (``Decision.error``); ``Decision.explanation`` says why.
    REFUSE = "refuse"


@dataclass(frozen=True, slots=True)
class Decision:
    """One check's answer. Views and protocol endpoints render it; they never re-decide it."""

    reason_code: str
    explanation: str
    next_step: Step
    #: For SCREEN: which one ("testing", "unverified").
    screen: str | None = None
    #: For REFUSE at the authorization endpoint or device page: the error code the app learns.
    error: str | None = None
    #: For REFUSE at the token endpoint: the RFC 6749 error code.
    token_error: str | None = None
    #: Whether the refusal may go back to the app's (validated) redirect URI; otherwise a page
    #: tells the user, who is the one who can act on it.
    redirect: bool = False
    #: The developer should hear of it (a mail through the outbox).
    tell_developer: bool = False
    #: The user may ask their organization's admins for the app (issue 14): the page offers it.
    ask_admin: bool = False

    @property
    def proceeds(self) -> bool:
        return self.next_step is Step.PROCEED


PROCEED = Decision("ok", "Nothing in the platform's rules stands in the way.", Step.PROCEED)


def refuse(
    reason_code: str,
    explanation: str,
    error: str,
    *,
    token_error: str = "invalid_grant",
    redirect: bool = False,
    tell_developer: bool = False,
    ask_admin: bool = False,
) -> Decision:
    return Decision(
        reason_code,
        explanation,
        Step.REFUSE,
        error=error,
        token_error=token_error,
        redirect=redirect,
        tell_developer=tell_developer,
        ask_admin=ask_admin,
    )


def screen(reason_code: str, explanation: str, name: str) -> Decision:
    return Decision(reason_code, explanation, Step.SCREEN, screen=name)
