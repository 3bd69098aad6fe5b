"""The review states of a verification request and the moves between them (VERIFY-6, VERIFY-7).

A table, not scattered ifs: every action names the states it may start from, so a reviewer
approving a cancelled request or a developer answering an approved one is refused the same way
on the web, the API and the CLI.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any, Protocol

from consentry.errors import Conflict


class ReviewState(StrEnum):
    DRAFT = "draft"
    SUBMITTED = "submitted"
    IN_REVIEW = "in_review"
    WAITING_FOR_DEVELOPER = "waiting_for_developer"
    APPROVED = "approved"
    REJECTED = "rejected"
    #: The name, logo or authorized domains changed while the request was open.
    CANCELLED = "cancelled_by_project_changes"
    #: Reviewers asked and the developer did not answer within 90 days.
    EXPIRED = "rejected_no_answer"


class Action(StrEnum):
    SUBMIT = "submit"
    START = "start"
    ASK = "ask"
    ANSWER = "answer"
    APPROVE = "approve"
    REJECT = "reject"
    CANCEL = "cancel"
    EXPIRE = "expire"


OPEN = frozenset({ReviewState.SUBMITTED, ReviewState.IN_REVIEW, ReviewState.WAITING_FOR_DEVELOPER})
FINAL = frozenset({ReviewState.APPROVED, ReviewState.REJECTED, ReviewState.CANCELLED, ReviewState.EXPIRED})

#: action -> (states it may start from, state it leads to)
MOVES: dict[Action, tuple[frozenset[ReviewState], ReviewState]] = {
    Action.SUBMIT: (frozenset({ReviewState.DRAFT}), ReviewState.SUBMITTED),
    Action.START: (frozenset({ReviewState.SUBMITTED}), ReviewState.IN_REVIEW),
    Action.ASK: (
        frozenset({ReviewState.SUBMITTED, ReviewState.IN_REVIEW}),
        ReviewState.WAITING_FOR_DEVELOPER,
    ),
    Action.ANSWER: (frozenset({ReviewState.WAITING_FOR_DEVELOPER}), ReviewState.IN_REVIEW),
    Action.APPROVE: (frozenset({ReviewState.SUBMITTED, ReviewState.IN_REVIEW}), ReviewState.APPROVED),
    Action.REJECT: (
        frozenset({ReviewState.SUBMITTED, ReviewState.IN_REVIEW, ReviewState.WAITING_FOR_DEVELOPER}),
        ReviewState.REJECTED,
    ),
    Action.CANCEL: (OPEN | {ReviewState.DRAFT}, ReviewState.CANCELLED),
    Action.EXPIRE: (frozenset({ReviewState.WAITING_FOR_DEVELOPER}), ReviewState.EXPIRED),
}

#: What each state means for the developer, in plain words (the project page shows it).
EXPLAINED: dict[ReviewState, str] = {
    ReviewState.DRAFT: "Not submitted yet.",
    ReviewState.SUBMITTED: "Submitted; waiting for a reviewer to pick it up.",
    ReviewState.IN_REVIEW: "A reviewer is looking at it.",
    ReviewState.WAITING_FOR_DEVELOPER: (
        "Paused: the reviewers asked you something. Answer on this page; without an answer in 90 days "
        "the request is rejected."
    ),
    ReviewState.APPROVED: "Approved for the scopes listed.",
    ReviewState.REJECTED: "Rejected; the reasons are below. Fix them and submit again.",
    ReviewState.CANCELLED: (
        "Cancelled: the app's name, logo or authorized domains changed during the review. Submit again."
    ),
    ReviewState.EXPIRED: "Rejected: the reviewers' question went unanswered for 90 days. Submit again.",
}

#: Days a question may wait for the developer before the request is rejected.
ANSWER_DAYS = 90


class StateStore(Protocol):
    def set_state(self, request_id: int, from_states: list[str], to_state: str) -> bool:
        """Change the state only if it is still one of ``from_states``, in one statement."""
        ...


def transition(store: StateStore, row: Any, action: Action) -> ReviewState:
    """Move ``row`` by ``action``, atomically: of two reviewers deciding at once, or a decision
    racing the janitor's expiry, exactly one wins; the other gets 409 and changes nothing."""
    after = move(row.state, action)
    if not store.set_state(row.id, [s.value for s in MOVES[action][0]], after.value):
        raise Conflict("wrong_state", "the request changed meanwhile: reload the page and try again")
    row.state = after.value
    return after


def move(state: str, action: Action) -> ReviewState:
    """The state after ``action``; Conflict (409) if the action is not allowed from ``state``."""
    allowed, after = MOVES[action]
    current = ReviewState(state)
    if current not in allowed:
        raise Conflict(
            "wrong_state",
            f"cannot {action.value} a request that is {current.value.replace('_', ' ')}",
        )
    return after
