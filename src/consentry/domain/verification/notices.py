"""The mails the verification process sends, as data; the outbox delivers them (issue 11, mail).

Each notice names its audit reason, so the operator's outbox listing says why a mail exists.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

#: (recipients, subject, body, reason, data) -> None; written in the caller's transaction.
Send = Callable[[list[str], str, str, str, dict[str, object]], None]


@dataclass(frozen=True)
class Notice:
    subject: str
    body: str


def received(app: str, project: str, scopes: list[str]) -> Notice:
    return Notice(
        f"[Consentry] {app}: verification request received",
        f"We received the verification request for {app} (project {project}) covering:\n"
        + "".join(f"  - {s}\n" for s in scopes)
        + "\nReviewers usually answer within a few business days; you will get an email at each step.\n",
    )


def question(app: str, project: str, message: str) -> Notice:
    return Notice(
        f"[Consentry] {app}: the reviewers need more information",
        f"A reviewer of {app} (project {project}) asks:\n\n{message}\n\n"
        "Answer on the project's verification page. The review is paused until you do; without an "
        "answer in 90 days the request is rejected.\n",
    )


def approved(app: str, project: str, scopes: list[str]) -> Notice:
    return Notice(
        f"[Consentry] {app}: verification approved",
        f"{app} (project {project}) is approved for:\n" + "".join(f"  - {s}\n" for s in scopes),
    )


def rejected(app: str, project: str, reasons: list[str]) -> Notice:
    return Notice(
        f"[Consentry] {app}: verification rejected",
        f"The verification request for {app} (project {project}) was rejected:\n"
        + "".join(f"  - {r}\n" for r in reasons)
        + "\nFix these and submit again from the project page.\n",
    )


def cancelled(app: str, project: str, why: str) -> Notice:
    return Notice(
        f"[Consentry] {app}: verification request cancelled",
        f"The open verification request for {app} (project {project}) was cancelled: {why}\n"
        "Submit again from the project page when the changes are done.\n",
    )


def expired(app: str, project: str) -> Notice:
    return Notice(
        f"[Consentry] {app}: verification request rejected (no answer)",
        f"The reviewers' question about {app} (project {project}) went unanswered for 90 days, "
        "so the request was rejected. Submit again from the project page.\n",
    )


def assessment_due(app: str, project: str, days: int, lapses_on: str) -> Notice:
    return Notice(
        f"[Consentry] {app}: security assessment lapses in {days} days",
        f"The security assessment of {app} (project {project}) lapses on {lapses_on}. Restricted "
        "scopes stop being approved then: arrange a new assessment with an authorized assessor.\n",
    )
