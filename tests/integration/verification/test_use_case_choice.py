"""Choosing the app's use case at verification, over HTTP on SQLite and PostgreSQL (USE-1..5).

"What features will you use?" offers the approved use cases of the APIs whose sensitive or
restricted scopes the project declares, and nothing else; the server refuses any other value
(another API's use case, a disallowed use, a near miss) and stores nothing; blank is accepted and
reaches the reviewers as "left to reviewers", who then decide.
"""

from __future__ import annotations

import re
from typing import Any

import pytest

from consentry.domain.verification.use_cases import DISALLOWED, USE_CASES
from tests.integration.api import (
    error,
    fake_checkers,
    sign_in,
    snapshot,
)
from tests.integration.verification.submitting import (
    DEV,
    REVIEWER,
    answers,
    make_project,
    options,
    text_of,
)
from tests.support.browserless import CSRF_RE, form_value
from tests.support.seed import Seeder

#: One sensitive or restricted scope of each API that has approved use cases.
SCOPE_OF = {
    "mail": "mail.readonly",
    "files": "files.readonly",
    "chat": "chat.messages.readonly",
    "meetings": "meetings.media.readonly",
}


@pytest.fixture
def dev(app: Any, seed: Seeder) -> Any:
    seed.user(DEV)
    seed.user(REVIEWER, role="reviewer")
    fake_checkers(app)  # no test here reaches the network
    return sign_in(app, DEV)


def test_each_api_offers_its_approved_use_cases_and_only_those(
    dev: Any, seed: Seeder
) -> None:  # USE-1, USE-2, USE-3, USE-4, USE-5
    for api, scope in SCOPE_OF.items():
        p = make_project(dev, seed, f"{api.title()} Helper", [scope])
        offered = dev.get(f"{p}/verification").json()["app_type_choices"]
        assert offered == USE_CASES[api], api
        # The console form: blank ("let the reviewers decide") first, then exactly these.
        page = dev.get(f"/console/projects/{api.title()}%20Helper/verification").text
        assert options(page, "app_type") == ["", *USE_CASES[api]], api
        assert "Let the reviewers decide" in page
    # Two APIs: the use cases of both, still none of the others.
    p = make_project(dev, seed, "Mail And Files", ["mail.readonly", "files.readonly"])
    offered = dev.get(f"{p}/verification").json()["app_type_choices"]
    assert set(offered) == set(USE_CASES["mail"]) | set(USE_CASES["files"])
    # Only non-sensitive scopes: no use case is asked for at all.
    p = make_project(dev, seed, "Just Appdata", ["files.appdata"])
    assert dev.get(f"{p}/verification").json()["app_type_choices"] == {}


@pytest.mark.parametrize(
    "app_type",
    [
        "files.sync",  # approved, but for another API than the one the app asks
        "chat.client",
        "mail.keyboard",  # USE-2 disallowed: mobile keyboards
        "mail.export",  # USE-2 disallowed: one-off or manual export
        "Mail client",  # the label is not the choice
        "MAIL.CLIENT",
    ],
)
def test_a_use_case_not_approved_for_the_apis_asked_is_refused_and_changes_nothing(
    dev: Any, seed: Seeder, app_type: str
) -> None:  # USE-1, USE-2
    p = make_project(dev, seed, "Mail Helper", ["mail.readonly"])
    before = snapshot(seed)
    r = dev.put(f"{p}/verification", answers(["mail.readonly"], app_type=app_type))
    assert r.status_code == 400 and error(r) == "invalid_app_type", r.text
    # The refused value is named, with what would have been accepted.
    assert r.json()["error_description"] == (
        f"'{app_type}' is not an approved use case of the APIs this app asks for. Pick one of the "
        "listed use cases (mail.backup, mail.client, mail.productivity, mail.reporting), or leave it blank"
    )
    assert snapshot(seed) == before


def test_the_console_form_refuses_a_disallowed_use_and_keeps_the_answers(
    dev: Any, seed: Seeder
) -> None:  # USE-1, USE-3
    make_project(dev, seed, "Files Helper", ["files.readonly"])
    path = "/console/projects/Files%20Helper/verification"
    csrf = form_value(dev.get(path).text, CSRF_RE)
    before = snapshot(seed)
    form = {
        "csrf": csrf,
        "action": "save",
        "app_type": "files.cdn",  # USE-3 disallowed: use as a CDN
        "transfers": "To nobody at all.",
    }
    r = dev.http.post(path, data=form, follow_redirects=False)
    assert r.status_code == 400
    assert 'data-code="invalid_app_type"' in r.text
    assert (
        "'files.cdn' is not an approved use case of the APIs this app asks for. Pick one of the listed "
        "use cases (files.productivity, files.reporting, files.sync), or leave it blank"
    ) in text_of(r.text)
    assert "To nobody at all." in r.text  # what was typed is kept
    assert snapshot(seed) == before


def test_blank_is_accepted_and_the_reviewers_decide(dev: Any, seed: Seeder, app: Any) -> None:  # USE-1
    p = make_project(dev, seed, "Inbox Keeper", ["mail.readonly"])
    r = dev.put(f"{p}/verification", answers(["mail.readonly"], app_type=""))
    assert r.status_code == 200 and r.json()["request"]["app_type"] == ""
    r = dev.post(f"{p}/verification/submit")
    assert r.status_code == 200, r.text
    assert r.json()["request"]["state"] == "submitted" and r.json()["request"]["app_type"] == ""

    reviewer = sign_in(app, REVIEWER)
    detail = reviewer.get("/api/v1/review/requests/Inbox%20Keeper").json()
    assert detail["request"]["app_type"] == "" and detail["app_type_label"] is None
    page = text_of(reviewer.get("/review/Inbox%20Keeper").text)
    assert "App type (what features it uses) Left to reviewers" in page
    # The reviewers decide: approving needs no use case from the developer.
    r = reviewer.post("/api/v1/review/requests/Inbox%20Keeper/approve", {})
    assert r.status_code == 200 and r.json()["state"] == "approved", r.text


def test_a_chosen_use_case_reaches_the_reviewers_by_its_name(
    dev: Any, seed: Seeder, app: Any
) -> None:  # USE-1, USE-4
    p = make_project(dev, seed, "Team Chat", ["chat.messages.readonly"])
    r = dev.put(f"{p}/verification", answers(["chat.messages.readonly"], app_type="chat.import"))
    assert r.status_code == 200, r.text
    assert dev.post(f"{p}/verification/submit").status_code == 200
    reviewer = sign_in(app, REVIEWER)
    detail = reviewer.get("/api/v1/review/requests/Team%20Chat").json()
    assert detail["request"]["app_type"] == "chat.import"
    assert detail["app_type_label"] == USE_CASES["chat"]["chat.import"]
    page = text_of(reviewer.get("/review/Team%20Chat").text)
    assert f"App type (what features it uses) {USE_CASES['chat']['chat.import']}" in page


def limits_of(page: str) -> str:
    """The visible text of the list under the use-case choice ("" when there is none)."""
    match = re.search(r'<ul class="checklist" id="use-case-limits">(.*?)</ul>', page, re.S)
    # Tags become spaces in text_of; "<strong>Calendar</strong>:" reads "Calendar:" on screen.
    return re.sub(r" ([:;,.])", r"\1", text_of(match.group(1))).strip() if match else ""


def test_the_disallowed_uses_of_the_apis_asked_are_shown_beside_the_choice(
    dev: Any, seed: Seeder
) -> None:  # USE-1, USE-2, USE-3, USE-4, USE-5
    for api, scope in SCOPE_OF.items():
        p = make_project(dev, seed, f"{api.title()} Helper", [scope])
        body = dev.get(f"{p}/verification").json()
        assert body["disallowed_uses"] == {api: list(DISALLOWED[api])}, api
        assert body["reviewers_decide"] == []
        page = dev.get(f"/console/projects/{api.title()}%20Helper/verification").text
        assert 'aria-describedby="help-app_type use-case-limits"' in page
        assert "Not sure? Leave it to the reviewers. Never approved, whatever the answers:" in text_of(page)
        limits = limits_of(page)
        assert limits.startswith(f"{api.title()}: {DISALLOWED[api][0]}; "), limits
        for use in DISALLOWED[api]:
            assert use in limits, (api, use)
        # Only the lists of the APIs asked: no other API's heading.
        for other in set(DISALLOWED) - {api}:
            assert f'data-api="{other}"' not in page, (api, other)
    # Two APIs: both lists, in the API's order.
    p = make_project(dev, seed, "Mail And Chat", ["mail.readonly", "chat.messages.readonly"])
    body = dev.get(f"{p}/verification").json()
    assert list(body["disallowed_uses"]) == ["chat", "mail"]
    limits = limits_of(dev.get("/console/projects/Mail%20And%20Chat/verification").text)
    assert (
        limits.index("Chat")
        < limits.index("Use as a CDN")
        < limits.index("Mail")
        < limits.index("Mobile keyboards")
    )
    # Only non-sensitive scopes: nothing to choose, so nothing to warn about.
    p = make_project(dev, seed, "Just Appdata", ["files.appdata"])
    body = dev.get(f"{p}/verification").json()
    assert body["disallowed_uses"] == {} and body["reviewers_decide"] == []


def test_calendar_has_no_list_and_the_form_says_the_reviewers_decide(dev: Any, seed: Seeder) -> None:  # USE-1
    p = make_project(dev, seed, "Day Planner", ["calendar.readonly"])
    body = dev.get(f"{p}/verification").json()
    assert body["app_type_choices"] == {} and body["disallowed_uses"] == {}
    assert body["reviewers_decide"] == ["calendar"]
    page = dev.get("/console/projects/Day%20Planner/verification").text
    assert options(page, "app_type") == [""]
    assert limits_of(page) == (
        "Calendar: no list of approved or disallowed uses; the reviewers decide from your answers."
    )
    shown = text_of(page)
    assert "No API the app asks for has a list of approved use cases: leave this to the reviewers." in shown
    assert "Never approved" not in shown  # nothing is listed as disallowed for calendar
    # Any value is refused, and the message says blank is the only answer.
    r = dev.put(f"{p}/verification", answers(["calendar.readonly"], app_type="calendar.sync"))
    assert r.status_code == 400 and error(r) == "invalid_app_type", r.text
    assert r.json()["error_description"] == (
        "'calendar.sync' is not an approved use case of the APIs this app asks for. They have no list "
        "of approved use cases: leave it blank and the reviewers decide"
    )
    # Calendar beside mail: mail's list and choices, and calendar still left to the reviewers.
    p = make_project(dev, seed, "Mail Calendar", ["mail.readonly", "calendar.readonly"])
    body = dev.get(f"{p}/verification").json()
    assert body["app_type_choices"] == USE_CASES["mail"]
    assert list(body["disallowed_uses"]) == ["mail"] and body["reviewers_decide"] == ["calendar"]
    limits = limits_of(dev.get("/console/projects/Mail%20Calendar/verification").text)
    assert "Mobile keyboards" in limits and "Calendar: no list of approved or disallowed uses" in limits
