"""The mails of an incident's life, as data; the outbox delivers them (SEC-6).

The report goes to the platform's security contact with everything the developer said, so it can
be acted on from the mail alone. The project's contacts get a copy with the rule that matters
most while an incident is open: no public statement before the platform's security team has it
and has agreed it.
"""

from __future__ import annotations

from dataclasses import dataclass

from consentry.domain import times
from consentry.storage.tables import SecurityIncident

#: The guidance every mail to the developer carries.
BEFORE_STATEMENT = (
    "Before any public statement: make no public statement about this incident (a blog post, a\n"
    "status page, the press, social media, a mail to all your users) before the platform's security\n"
    "team has acknowledged it, and agree the wording and the timing with them first. Notices the law\n"
    "requires you to send (to a data-protection authority, to the users affected) are not held back\n"
    "by this; tell the security team when you send them.\n"
)


@dataclass(frozen=True)
class Notice:
    subject: str
    body: str


def when(stamp: int | None) -> str:
    return times.when(stamp, "-")


def statement_line(row: SecurityIncident) -> str:
    if row.statement == "planned":
        return f"planned for {when(row.statement_at)}"
    if row.statement == "made":
        return f"ALREADY MADE on {when(row.statement_at)}"
    return "none planned"


def _facts(row: SecurityIncident) -> str:
    users = "unknown" if row.affected_users is None else f"about {row.affected_users:,}"
    return (
        f"Summary:        {row.summary}\n"
        f"Certainty:      {row.certainty}\n"
        f"Detected:       {when(row.detected_at)}\n"
        f"Reported:       {when(row.reported_at)} by {row.reported_by}\n"
        f"Users affected: {users}\n"
        f"Public statement: {statement_line(row)}\n\n"
        f"What happened:\n{row.details}\n\n"
        f"What is affected (data, scopes, users):\n{row.affected}\n\n"
        f"Containment so far:\n{row.containment or '(none reported yet)'}\n"
    )


def reported(row: SecurityIncident, app: str, project: str, contacts: list[str], link: str) -> Notice:
    """To the platform's security contact, at once."""
    return Notice(
        f"[Consentry security] Incident #{row.id} ({row.certainty}): {app}",
        f"Project {project} ({app}) reports a {row.certainty} security incident.\n\n"
        + _facts(row)
        + f"\nProject contacts: {', '.join(contacts) or '(none on file)'}\n"
        f"Acknowledge it, add notes and resolve it at:\n  {link}\n"
        f"or from the shell: consentry incident acknowledge {row.id}\n",
    )


def received(row: SecurityIncident, app: str, project: str, contact: str, link: str) -> Notice:
    """The copy for the project's contacts: what was sent, to whom, and what comes next."""
    return Notice(
        f"[Consentry] {app}: security incident #{row.id} reported",
        f"Your report of a security incident in {app} (project {project}) reached the platform's\n"
        f"security contact, {contact}. This is your copy.\n\n"
        + BEFORE_STATEMENT
        + "\nWhat happens next: the security team acknowledges the report, may ask you for more, and\n"
        "closes it once the incident is contained and resolved. Keep containing it, and add what you\n"
        f"learn as an update on the incident's page:\n  {link}\n\n" + _facts(row),
    )


def acknowledged(row: SecurityIncident, app: str, note: str, link: str) -> Notice:
    extra = f"\nThey add:\n\n{note}\n" if note else ""
    return Notice(
        f"[Consentry] {app}: security incident #{row.id} acknowledged",
        f"The platform's security team acknowledged incident #{row.id} ({row.summary}) and is\n"
        f"working on it.\n{extra}\n" + BEFORE_STATEMENT + f"\nFollow it at:\n  {link}\n",
    )


def platform_note(row: SecurityIncident, app: str, note: str, link: str) -> Notice:
    return Notice(
        f"[Consentry] {app}: a note on security incident #{row.id}",
        f"The platform's security team wrote on incident #{row.id} ({row.summary}):\n\n{note}\n\n"
        f"Answer with an update on the incident's page:\n  {link}\n",
    )


def closed(row: SecurityIncident, app: str, note: str, link: str, *, finding: bool) -> Notice:
    outcome = "resolved" if finding else "closed without finding unauthorized access"
    return Notice(
        f"[Consentry] {app}: security incident #{row.id} {'resolved' if finding else 'closed'}",
        f"The platform's security team {outcome}: incident #{row.id} ({row.summary}).\n\n{note}\n\n"
        f"The incident and its notes stay on the incident's page:\n  {link}\n",
    )


def developer_update(
    row: SecurityIncident, app: str, project: str, author: str, note: str, link: str
) -> Notice:
    """To the security contact: the project added something while the incident is open."""
    return Notice(
        f"[Consentry security] Incident #{row.id}: update from {app}",
        f"{author} added an update to incident #{row.id} of project {project} ({row.summary}):\n\n"
        f"{note}\n\nThe incident: {link}\n",
    )
