"""The incident's state table and the checks of a report, without a database (SEC-6)."""

from __future__ import annotations

import datetime as dt
from types import SimpleNamespace
from typing import Any

import pytest

from consentry.domain.incidents.form import IncidentInput, clean, finding, parse_when, text, user_count
from consentry.domain.incidents.states import FINAL, MOVES, OPEN, Action, IncidentState, move, transition
from consentry.errors import Conflict, InvalidInput

AT = int(dt.datetime(2026, 5, 4, 12, 0, tzinfo=dt.UTC).timestamp())
FORM = IncidentInput(
    summary="  Tokens in a public bucket  ",
    details="Line one\r\nLine two  \r\n",
    detected="2026-05-04 09:30",
    certainty="Confirmed",
    affected="mail.readonly tokens",
    affected_users="1 200",
    statement="planned",
    statement_at="2026-05-10",
)


@pytest.mark.parametrize(
    ("state", "action", "after"),
    [
        ("reported", Action.ACKNOWLEDGE, IncidentState.ACKNOWLEDGED),
        ("reported", Action.RESOLVE, IncidentState.RESOLVED),
        ("acknowledged", Action.RESOLVE, IncidentState.RESOLVED),
        ("acknowledged", Action.CLOSE, IncidentState.CLOSED_NO_FINDING),
    ],
)
def test_allowed_moves(state: str, action: Action, after: IncidentState) -> None:  # SEC-6
    assert move(state, action) is after


def test_closed_incidents_stay_closed_and_acknowledging_happens_once() -> None:  # SEC-6
    for state in FINAL:
        for action in Action:
            with pytest.raises(Conflict) as refused:
                move(state.value, action)
            assert refused.value.code == "wrong_state" and refused.value.status == 409
    with pytest.raises(Conflict, match="cannot acknowledge an incident that is acknowledged"):
        move("acknowledged", Action.ACKNOWLEDGE)
    assert {s for allowed, _ in MOVES.values() for s in allowed} == set(OPEN)


class Store:
    """A state store that answers like the one-statement UPDATE would (COALESCE for ``fill``)."""

    def __init__(self, current: str, **stored: Any) -> None:
        self.current = current
        self.stored = stored
        self.calls: list[tuple[int, list[str], str, dict[str, Any]]] = []

    def set_incident_state(
        self,
        incident_id: int,
        from_states: list[str],
        to_state: str,
        values: dict[str, Any],
        fill: dict[str, Any] | None = None,
    ) -> dict[str, Any] | None:
        self.calls.append((incident_id, from_states, to_state, values))
        if self.current not in from_states:
            return None
        self.current = to_state
        for key, value in (fill or {}).items():
            self.stored[key] = self.stored.get(key) or value
        self.stored.update(values)
        return {**values, **{key: self.stored[key] for key in fill or {}}}


def test_transition_is_one_conditional_update_and_a_lost_race_is_409() -> None:  # SEC-6
    row = SimpleNamespace(id=7, state="reported", acknowledged_by="")
    store = Store("reported")
    assert (
        transition(store, row, Action.ACKNOWLEDGE, {"acknowledged_by": "rita"}) is IncidentState.ACKNOWLEDGED
    )
    assert store.calls == [(7, ["reported"], "acknowledged", {"acknowledged_by": "rita"})]
    assert (row.state, row.acknowledged_by) == ("acknowledged", "rita")

    stale = SimpleNamespace(id=7, state="reported", acknowledged_by="")
    with pytest.raises(Conflict, match="changed meanwhile"):
        transition(store, stale, Action.ACKNOWLEDGE, {"acknowledged_by": "ray"})
    assert (stale.state, stale.acknowledged_by) == ("reported", "")  # nothing applied


def test_a_close_from_a_stale_read_keeps_the_first_acknowledgement() -> None:  # SEC-6
    """The row says "reported" (read before another reviewer acknowledged): the values to fill
    in come back as stored, not as this reviewer would have set them."""
    store = Store("acknowledged", acknowledged_by="rita", acknowledged_at=100)
    stale = SimpleNamespace(id=7, state="reported", acknowledged_by="", acknowledged_at=None)
    fill = {"acknowledged_by": "ray", "acknowledged_at": 200}
    assert transition(store, stale, Action.RESOLVE, {"closed_by": "ray"}, fill) is IncidentState.RESOLVED
    assert (stale.acknowledged_by, stale.acknowledged_at, stale.closed_by) == ("rita", 100, "ray")


def test_a_clean_report() -> None:  # SEC-6
    report = clean(FORM, AT)
    assert report.summary == "Tokens in a public bucket" and report.details == "Line one\nLine two"
    assert report.detected_at == AT - int(2.5 * 3600) and report.certainty == "confirmed"
    assert report.affected_users == 1200 and report.containment == ""
    assert report.statement == "planned" and report.statement_at == AT + 6 * 86400 - 12 * 3600
    unstated = clean(
        IncidentInput(**{**FORM.__dict__, "statement": "none", "statement_at": "2026-05-10"}), AT
    )
    assert unstated.statement_at is None  # a date without a statement is dropped


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("2026-05-04", "2026-05-04T00:00:00+00:00"),
        ("2026-05-04 09:30", "2026-05-04T09:30:00+00:00"),
        ("2026-05-04T09:30:15Z", "2026-05-04T09:30:15+00:00"),
        ("2026-05-04T11:30+02:00", "2026-05-04T09:30:00+00:00"),
    ],
)
def test_times_as_people_type_them(typed: str, expected: str) -> None:  # SEC-6
    assert parse_when(typed, "the detection time", code="detected_at", latest=AT, too_late="") == int(
        dt.datetime.fromisoformat(expected).timestamp()
    )


@pytest.mark.parametrize(
    "typed",
    [
        "",
        "yesterday",
        "04/05/2026",
        "1999-12-31",
        "2026-05-04 " + "9" * 40,
        "9999-12-31T23:59:00-23:59",  # past the year 9999 in UTC: no page or mail could show it
        "0001-01-01T00:00:00+23:59",
        "2026-05-04 12:00:01",  # one second past ``latest``
    ],
)
def test_unreadable_and_out_of_range_times_are_refused(typed: str) -> None:  # SEC-6
    with pytest.raises(InvalidInput) as refused:
        parse_when(typed, "the detection time", code="detected_at", latest=AT, too_late="Too late.")
    assert refused.value.code == "invalid_detected_at"


@pytest.mark.parametrize(
    ("change", "code", "words"),
    [
        ({"statement_at": "9999-12-31T23:59:00-23:59"}, "invalid_statement_at", "within the next five years"),
        ({"statement_at": "2031-06-01"}, "invalid_statement_at", "within the next five years"),
        ({"statement_at": "1999-01-01"}, "invalid_statement_at", "before the year 2000"),
        ({"statement": "made", "statement_at": "9999-12-31"}, "invalid_statement_at", "choose 'planned'"),
        ({"detected": "9999-12-31T23:59:00-23:59"}, "invalid_detected_at", "in the future"),
        ({"detected": "1970-01-01"}, "invalid_detected_at", "before the year 2000"),
    ],
)
def test_every_date_of_a_report_is_bounded(change: dict[str, str], code: str, words: str) -> None:  # SEC-6
    with pytest.raises(InvalidInput, match=words) as refused:
        clean(IncidentInput(**{**FORM.__dict__, **change}), AT)
    assert refused.value.code == code
    # Five years ahead is still a plan someone can make.
    assert clean(IncidentInput(**{**FORM.__dict__, "statement_at": "2031-05-03"}), AT).statement_at


def test_only_the_two_outcomes_close_an_incident() -> None:  # SEC-6
    assert (finding("resolved"), finding("no_finding")) == (True, False)
    for bad in ("", "maybe", "Resolved", "no-finding"):
        with pytest.raises(InvalidInput) as refused:
            finding(bad)
        assert refused.value.code == "invalid_outcome"


def test_the_detection_may_not_be_in_the_future_and_a_made_statement_not_either() -> None:  # SEC-6
    with pytest.raises(InvalidInput, match="in the future"):
        clean(IncidentInput(**{**FORM.__dict__, "detected": "2026-05-04 12:30"}), AT)
    assert clean(
        IncidentInput(**{**FORM.__dict__, "detected": "2026-05-04 12:05"}), AT
    )  # clocks differ a little
    with pytest.raises(InvalidInput, match="choose 'planned'"):
        clean(IncidentInput(**{**FORM.__dict__, "statement": "made", "statement_at": "2026-05-05"}), AT)
    made = clean(IncidentInput(**{**FORM.__dict__, "statement": "made", "statement_at": "2026-05-03"}), AT)
    assert made.statement == "made"


def test_text_bounds() -> None:  # SEC-6
    assert text("a\tb", "x", code="x", limit=10) == "a\tb"
    for bad, words in (
        ("", "Fill in x."),
        ("y" * 11, "under 10 characters (it has 11)"),
        ("a\x00b", "control"),
    ):
        with pytest.raises(InvalidInput, match=words.replace("(", r"\(").replace(")", r"\)")):
            text(bad, "x", code="x", limit=10)
    assert user_count("") is None and user_count(None) is None and user_count("1,000,000") == 1_000_000
    for bad in ("many", "-1", "1e3", "2000000000"):
        with pytest.raises(InvalidInput):
            user_count(bad)
