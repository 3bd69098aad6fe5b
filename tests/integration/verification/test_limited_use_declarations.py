"""The Limited Use declarations of a verification request, over HTTP on SQLite and PostgreSQL.

LIMIT-3 (no human reads user data, with four exceptions) is a declaration the developer must
make: "Who can read user data, and when?". LIMIT-4 (the prohibited uses) is an attestation the
developer must tick for each submission. A submission without either is refused, says which is
missing and changes nothing; the form states the rules in the requirement's words; the reviewers
see both answers beside the rest of the request.
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.integration.api import (
    error,
    fake_checkers,
    rows,
    sign_in,
    snapshot,
)
from tests.integration.verification.submitting import DEV, REVIEWER, answers, make_project, text_of
from tests.support.seed import Seeder

SCOPES = ["mail.readonly"]
NAME = "Inbox Keeper"
CONSOLE = "/console/projects/Inbox%20Keeper/verification"
REVIEW = "/api/v1/review/requests/Inbox%20Keeper"
HUMANS = "declare to whom data is transferred and who may read it (LIMIT-2, LIMIT-3)"
ATTEST = "attest that the data is never used for the prohibited uses (LIMIT-4)"


@pytest.fixture
def dev(app: Any, seed: Seeder) -> Any:
    seed.user(DEV)
    seed.user(REVIEWER, role="reviewer")
    fake_checkers(app)  # no test here reaches the network
    return sign_in(app, DEV)


def _submitted(seed: Seeder) -> list[tuple[Any, ...]]:
    """What a submission leaves behind: its audit event and its mail."""
    return rows(seed, "SELECT tag FROM audit_events WHERE tag = 'review:project:submit'") + rows(
        seed, "SELECT reason FROM outbox_mail WHERE reason = 'review:project:submit'"
    )


@pytest.mark.parametrize(
    ("missing", "says", "not_says"),
    [
        ({"human_access": ""}, HUMANS, ATTEST),  # LIMIT-3 undeclared
        ({"human_access": "   "}, HUMANS, ATTEST),  # blank is no declaration
        ({"attested": False}, ATTEST, HUMANS),  # LIMIT-4 not attested
    ],
)
def test_a_submission_without_the_declaration_or_the_attestation_is_refused(
    dev: Any, seed: Seeder, missing: dict[str, Any], says: str, not_says: str
) -> None:  # LIMIT-3, LIMIT-4
    p = make_project(dev, seed, NAME, SCOPES)
    assert dev.put(f"{p}/verification", answers(SCOPES, **missing)).status_code == 200
    before = snapshot(seed)
    r = dev.post(f"{p}/verification/submit")
    assert r.status_code == 400 and error(r) == "incomplete", r.text
    description = r.json()["error_description"]
    assert description.startswith("before submitting: ") and says in description
    assert not_says not in description  # it names what is missing, not everything
    assert snapshot(seed) == before and _submitted(seed) == []
    assert dev.get(f"{p}/verification").json()["request"]["state"] == "draft"
    # Given, the same request goes through.
    assert dev.put(f"{p}/verification", answers(SCOPES)).status_code == 200
    r = dev.post(f"{p}/verification/submit")
    assert r.status_code == 200 and r.json()["request"]["state"] == "submitted", r.text
    assert len(_submitted(seed)) == 2


def test_the_form_states_the_rules_in_the_requirements_words(
    dev: Any, seed: Seeder
) -> None:  # LIMIT-3, LIMIT-4
    make_project(dev, seed, NAME, SCOPES)
    page = text_of(dev.get(CONSOLE).text)
    assert "Who can read user data, and when?" in page
    # LIMIT-3: the four exceptions under which a human may read user data.
    for allowed in (
        "with the user's explicit consent for specific data",
        "aggregated and anonymized for operations",
        "for security",
        "by law",
    ):
        assert allowed in page, allowed
    # LIMIT-4: every prohibited use, in the attestation the developer ticks.
    for prohibited in (
        "never transferred or sold to ad platforms, data brokers or resellers",
        "never used for ads (retargeting, personalized or interest-based)",
        "never used to judge creditworthiness or for lending",
        "never used to train general AI or ML models beyond the user's own personalized model",
    ):
        assert prohibited in page, prohibited
    assert '<input type="checkbox" name="attested">' in dev.get(CONSOLE).text  # never ticked for them


def test_reviewers_see_the_declaration_and_the_attestation(
    dev: Any, seed: Seeder, app: Any
) -> None:  # LIMIT-3, LIMIT-4
    p = make_project(dev, seed, NAME, SCOPES)
    declared = "Support staff, only for a ticket the user opened, on the messages named in it."
    assert dev.put(f"{p}/verification", answers(SCOPES, human_access=declared)).status_code == 200
    assert dev.post(f"{p}/verification/submit").status_code == 200
    reviewer = sign_in(app, REVIEWER)
    request = reviewer.get(REVIEW).json()["request"]
    assert request["human_access"] == declared and request["attested"] is True
    page = text_of(reviewer.get("/review/Inbox%20Keeper").text)
    assert f"Humans who can read user data {declared}" in page
    assert "Prohibited-uses attestation Attested" in page


def test_an_attestation_covers_one_submission(dev: Any, seed: Seeder, app: Any) -> None:  # LIMIT-4
    p = make_project(dev, seed, NAME, SCOPES)
    assert dev.put(f"{p}/verification", answers(SCOPES)).status_code == 200
    assert dev.post(f"{p}/verification/submit").status_code == 200
    reviewer = sign_in(app, REVIEWER)
    r = reviewer.post(f"{REVIEW}/reject", {"reasons": ["The video does not show the feature."]})
    assert r.status_code == 200 and r.json()["state"] == "rejected", r.text
    # The next draft starts from the previous answers, but the attestation must be given again.
    assert '<input type="checkbox" name="attested">' in dev.get(CONSOLE).text
    r = dev.post(f"{p}/verification/submit")
    assert r.status_code == 400 and error(r) == "incomplete"
    assert ATTEST in r.json()["error_description"] and HUMANS not in r.json()["error_description"]
    assert dev.put(f"{p}/verification", answers(SCOPES)).status_code == 200
    assert dev.post(f"{p}/verification/submit").status_code == 200
