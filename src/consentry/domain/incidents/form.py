"""What a report of an incident holds, checked once for the console, the API and the CLI (SEC-6).

Every field is bounded and every refusal names the field and what to fix. Times arrive as people
type them (``2026-05-01 14:30``, ISO 8601 with or without an offset; no offset means UTC) and
are stored as epoch seconds.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from consentry.errors import InvalidInput
from consentry.storage.tables.base import now

SUMMARY_MAX = 200
DETAILS_MAX = 5000
AFFECTED_MAX = 2000
CONTAINMENT_MAX = 3000
NOTE_MAX = 3000
#: A rough count, not a census: more than this is a typo.
MAX_USERS = 1_000_000_000
#: Clocks differ: a detection time this far ahead of ours is still "now".
CLOCK_SLACK = 10 * 60
EARLIEST = int(dt.datetime(2000, 1, 1, tzinfo=dt.UTC).timestamp())
#: A statement planned further ahead than this is a typo ("2062" for "2026").
STATEMENT_AHEAD = 5 * 366 * 86400

CERTAINTIES = ("suspected", "confirmed")
#: Whether the developer plans a public statement; "made" means it is already out.
STATEMENTS = ("none", "planned", "made")


@dataclass(frozen=True)
class IncidentInput:
    """The report as typed; :func:`clean` turns it into a :class:`Report` or says what is wrong."""

    summary: str
    details: str
    detected: str
    certainty: str
    affected: str
    affected_users: str = ""
    containment: str = ""
    statement: str = "none"
    statement_at: str = ""


@dataclass(frozen=True)
class Report:
    summary: str
    details: str
    detected_at: int
    certainty: str
    affected: str
    affected_users: int | None
    containment: str
    statement: str
    statement_at: int | None


def text(
    value: str, what: str, *, code: str, limit: int, required: bool = True, one_line: bool = False
) -> str:
    """Trimmed text with Unix line ends; control characters (but newlines and tabs) refused."""
    cleaned = "\n".join(line.rstrip() for line in (value or "").replace("\r\n", "\n").strip().split("\n"))
    field = code
    if required and not cleaned:
        raise InvalidInput(f"invalid_{field}", f"Fill in {what}.")
    if len(cleaned) > limit:
        raise InvalidInput(
            f"invalid_{field}", f"Keep {what} under {limit:,} characters (it has {len(cleaned):,})."
        )
    if one_line and "\n" in cleaned:
        raise InvalidInput(f"invalid_{field}", f"Write {what} on one line.")
    if any(not (c.isprintable() or c in "\n\t") for c in cleaned):
        raise InvalidInput(f"invalid_{field}", f"{what.capitalize()} holds control characters; retype it.")
    return cleaned


def parse_when(value: str, what: str, *, code: str, latest: int, too_late: str) -> int:
    """``YYYY-MM-DD``, ``YYYY-MM-DD HH:MM`` or ISO 8601 (an offset or ``Z`` honoured, else UTC),
    between the year 2000 and ``latest``: a time outside is a typo, and one past the year 9999
    could not even be shown."""
    typed = (value or "").strip()
    field = code
    try:
        if not typed or len(typed) > 40:
            raise ValueError
        when = dt.datetime.fromisoformat(typed)
        if when.tzinfo is None:
            when = when.replace(tzinfo=dt.UTC)
        stamp = int(when.timestamp())
    except (ValueError, OverflowError):
        raise InvalidInput(
            f"invalid_{field}", f"Give {what} as YYYY-MM-DD HH:MM in UTC, e.g. 2026-05-01 14:30."
        ) from None
    if stamp < EARLIEST:
        raise InvalidInput(f"invalid_{field}", f"{what.capitalize()} cannot be before the year 2000.")
    if stamp > latest:
        raise InvalidInput(f"invalid_{field}", too_late)
    return stamp


def user_count(value: str | int | None) -> int | None:
    """The rough number of affected users; empty means unknown. ``1,200`` and ``1 200`` are 1200."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    digits = value if isinstance(value, int) else value.strip().replace(",", "").replace(" ", "")
    try:
        count = int(digits)
    except ValueError:
        count = -1
    if not 0 <= count <= MAX_USERS:
        raise InvalidInput(
            "invalid_affected_users",
            "Give the rough number of affected users as a whole number, or leave it empty if unknown.",
        )
    return count


def clean(form: IncidentInput, at: int | None = None) -> Report:
    """The report, checked; InvalidInput names the first field to fix."""
    at = at if at is not None else now()
    summary = text(form.summary, "the summary", code="summary", limit=SUMMARY_MAX, one_line=True)
    details = text(form.details, "what happened", code="details", limit=DETAILS_MAX)
    detected_at = parse_when(
        form.detected,
        "the detection time",
        code="detected_at",
        latest=at + CLOCK_SLACK,
        too_late="The detection time is in the future.",
    )
    certainty = (form.certainty or "").strip().lower()
    if certainty not in CERTAINTIES:
        raise InvalidInput("invalid_certainty", "Say whether the access is suspected or confirmed.")
    affected = text(form.affected, "what is affected", code="affected", limit=AFFECTED_MAX)
    users = user_count(form.affected_users)
    containment = text(
        form.containment, "the containment steps", code="containment", limit=CONTAINMENT_MAX, required=False
    )
    statement = (form.statement or "none").strip().lower()
    if statement not in STATEMENTS:
        raise InvalidInput(
            "invalid_statement", "Say whether a public statement is planned, already made, or not planned."
        )
    statement_at = None
    if statement != "none":
        made = statement == "made"
        statement_at = parse_when(
            form.statement_at,
            "the statement date",
            code="statement_at",
            latest=at + (CLOCK_SLACK if made else STATEMENT_AHEAD),
            too_late=(
                "A statement already made has a date in the past; for a later one choose 'planned'."
                if made
                else "Give a planned statement's date within the next five years."
            ),
        )
    return Report(
        summary=summary,
        details=details,
        detected_at=detected_at,
        certainty=certainty,
        affected=affected,
        affected_users=users,
        containment=containment,
        statement=statement,
        statement_at=statement_at,
    )


def note(value: str, what: str = "the note") -> str:
    return text(value, what, code="note", limit=NOTE_MAX)


#: How a reviewer closes an incident -> whether unauthorized access was found.
OUTCOMES = {"resolved": True, "no_finding": False}


def finding(outcome: str) -> bool:
    """Whether a close is "resolved" (True) or "no unauthorized access found" (False); anything
    else is refused, never read as one of them."""
    if outcome not in OUTCOMES:
        raise InvalidInput("invalid_outcome", "Choose how the incident ended: resolved, or no finding.")
    return OUTCOMES[outcome]
