"""The queue's order and ages, the mails' words, and the security contact's default (SEC-6)."""

from __future__ import annotations

import pytest

from consentry.domain.incidents import notices
from consentry.domain.incidents.listing import counts, items, span, states_of
from consentry.errors import InvalidInput
from consentry.settings import Settings
from consentry.storage.tables import Project, SecurityIncident

AT = 1_800_000_000
HOUR = 3600


def incident(
    id_: int, state: str, reported_hours_ago: float, closed_hours_ago: float | None = None
) -> SecurityIncident:
    return SecurityIncident(
        id=id_,
        project_id=1,
        state=state,
        summary=f"incident {id_}",
        details="What happened.",
        certainty="suspected",
        detected_at=AT - int(reported_hours_ago * HOUR) - HOUR,
        affected="tokens",
        affected_users=None,
        containment="",
        statement="none",
        statement_at=None,
        reported_by="dev@example.com",
        reported_at=AT - int(reported_hours_ago * HOUR),
        security_contact="security@example.com",
        acknowledged_at=None,
        acknowledged_by="",
        closed_at=None if closed_hours_ago is None else AT - int(closed_hours_ago * HOUR),
        closed_by="",
        updated_at=AT,
    )


def test_open_first_oldest_on_top_then_latest_closed() -> None:  # SEC-6
    project = Project(id=1, name="p", app_name="P")
    rows = [
        (incident(1, "resolved", 100, closed_hours_ago=50), project),
        (incident(2, "acknowledged", 3), project),
        (incident(3, "reported", 30), project),
        (incident(4, "closed_no_finding", 90, closed_hours_ago=10), project),
        (incident(5, "reported", 2), project),
    ]
    queue = items(rows, AT)
    assert [i.incident.id for i in queue] == [3, 2, 5, 4, 1]
    assert [i.overdue for i in queue] == [True, False, False, False, False]  # reported, 24 h or more
    assert [i.age_text for i in queue] == ["30 h", "3 h", "2 h", "3 days", "2 days"]  # closed: time to close
    by_state = {"reported": 2, "acknowledged": 1, "resolved": 1, "closed_no_finding": 1}
    assert counts(by_state) == {"open": 3, "reported": 2, "acknowledged": 1, "closed": 2, "all": 5}


def test_spans_and_filters() -> None:  # SEC-6
    assert [span(s) for s in (0, 59, 61, 7199, 3 * HOUR, 47 * HOUR, 49 * HOUR)] == [
        "1 min",
        "1 min",
        "1 min",
        "1 h",
        "3 h",
        "47 h",
        "2 days",
    ]
    assert {s.value for s in states_of("closed")} == {"resolved", "closed_no_finding"}
    assert {s.value for s in states_of("resolved")} == {"resolved"}
    with pytest.raises(
        InvalidInput, match="open, reported, acknowledged, closed, all, resolved, closed_no_finding"
    ):
        states_of("sometimes")


def test_the_report_mail_holds_everything_and_the_copy_the_rule() -> None:  # SEC-6
    row = incident(9, "reported", 1)
    row.statement, row.statement_at, row.affected_users = "made", AT - 2 * HOUR, 1500
    sent = notices.reported(
        row, "Mail Sorter", "mail-sorter", ["a@x.example"], "https://auth.example/review/incidents/9"
    )
    assert sent.subject == "[Consentry security] Incident #9 (suspected): Mail Sorter"
    assert "Users affected: about 1,500" in sent.body and "Public statement: ALREADY MADE on" in sent.body
    assert "(none reported yet)" in sent.body and "consentry incident acknowledge 9" in sent.body
    copy = notices.received(row, "Mail Sorter", "mail-sorter", "security@example.com", "https://x/c")
    assert "Before any public statement" in copy.body and "security@example.com" in copy.body
    done = notices.closed(row, "Mail Sorter", "Nothing found.", "https://x/c", finding=False)
    assert done.subject.endswith("#9 closed") and "closed without finding unauthorized access" in done.body


def test_the_security_contact_setting() -> None:  # SEC-6
    assert Settings(issuer="https://auth.example.com").security_contact_address == "security@auth.example.com"
    assert (
        Settings(issuer="http://localhost:8000").security_contact_address == "security@localhost.localdomain"
    )
    chosen = Settings(issuer="https://auth.example.com", security_contact=" SecOps@Example.com ")
    assert chosen.security_contact_address == "secops@example.com"
    with pytest.raises(ValueError, match="CONSENTRY_SECURITY_CONTACT must be one email address"):
        Settings(security_contact="not an address")
