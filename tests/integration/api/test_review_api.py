"""The reviewer console's JSON API, ``/api/v1/review`` (VERIFY-6, VERIFY-7, VERIFY-9, SEC-5, SEC-8).

A developer submits through ``/api/v1/projects/...``; a reviewer works the queue. Only reviewers
may act (403 for everyone else, the project's owner included); a move the review state does not
allow is 409; every refusal leaves the database as it was.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import pytest

from tests.conftest import ISSUER
from tests.integration.api import (
    Api,
    FakeCheckers,
    b64,
    error,
    fake_checkers,
    loaded,
    png,
    rows,
    sign_in,
    snapshot,
)
from tests.support.seed import Seeder

DEV, REVIEWER, OTHER = "dev@example.com", "reviewer@example.com", "other@example.com"
P = "/api/v1/projects/inbox-zen"
R = "/api/v1/review/requests/inbox-zen"
READ, SEND = f"{ISSUER}/auth/mail.readonly", f"{ISSUER}/auth/mail.send"
CONTACTS = ["dev@inboxzen.example.com"]
SUPPORT = "help@inboxzen.example.com"
SCAN = {
    "path": "src",
    "files_scanned": 12,
    "files_skipped": 0,
    "scopes": [
        {
            "scope": "mail.readonly",
            "uri": READ,
            "class": "restricted",
            "locations": [{"file": "a.py", "line": 3}],
        }
    ],
    "operations": [{"operation": "mail.messages.list", "method": "GET", "path": "/data/v1/mail/messages"}],
    "advice": {"suggested": ["mail.metadata"], "summary": "narrower will do"},
    "highest_class": "restricted",
    "verification": "restricted scope review + security assessment",
    "unknown_key": "dropped",
}
ANSWERS = {
    "justifications": {
        s: {"usage": f"We use {s}.", "why_not_narrower": "Nothing narrower works."} for s in (READ, SEND)
    },
    "doc_links": ["https://inboxzen.example.com/docs"],
    "video_url": "https://video.example.com/inbox-zen",
    "app_type": "mail.productivity",
    "transfers": "No transfers.",
    "human_access": "No human reads user data.",
    "attested": True,
    "scan_report": SCAN,
}


@dataclass
class Review:
    seed: Seeder
    dev: Api
    reviewer: Api
    other: Api
    checkers: FakeCheckers


def _submit(app: Any, seed: Seeder) -> Review:
    """Project inbox-zen, complete and submitted for mail.readonly (restricted) and mail.send."""
    seed.user(DEV)
    seed.user(OTHER)
    seed.user(REVIEWER, role="reviewer")
    checkers = fake_checkers(app)
    dev = sign_in(app, DEV)
    assert dev.post("/api/v1/projects", {"name": "inbox-zen", "status": "production"}).status_code == 201
    brand = {
        "app_name": "Inbox Zen",
        "support_email": SUPPORT,
        "home_page": "https://inboxzen.example.com/",
        "privacy_policy": "https://inboxzen.example.com/privacy",
        "authorized_domains": ["inboxzen.example.com"],
        "developer_contacts": CONTACTS,
        "logo_base64": b64(png()),
    }
    assert dev.patch(f"{P}/consent-screen", brand).status_code == 200
    assert dev.post(f"{P}/scopes", {"add": ["mail.readonly", "mail.send"]}).status_code == 200
    assert dev.get(f"{P}/domains").status_code == 200
    with seed.db.unit_of_work() as s:  # the DNS check itself is tested with the domain checks
        from sqlalchemy import text

        s.execute(text("UPDATE domain_proofs SET verified_at = 1, method = 'dns'"))
    assert dev.put(f"{P}/verification", ANSWERS).status_code == 200
    r = dev.post(f"{P}/verification/submit")
    assert r.status_code == 200, r.text
    assert r.json()["request"]["state"] == "submitted"
    return Review(seed, dev, sign_in(app, REVIEWER), sign_in(app, OTHER), checkers)


@pytest.fixture
def review(app: Any, seed: Seeder) -> Review:
    return _submit(app, seed)


def _tags(seed: Seeder) -> list[str]:
    return [t for (t,) in rows(seed, "SELECT tag FROM audit_events WHERE tag LIKE 'review:%' ORDER BY id")]


def _mail(seed: Seeder) -> list[tuple[Any, ...]]:
    found = rows(seed, "SELECT recipients, subject, reason FROM outbox_mail ORDER BY id")
    return [(loaded(to), subject, reason) for to, subject, reason in found]


def test_queue_and_request(review: Review) -> None:  # VERIFY-6, VERIFY-7 (queue with age)
    q = review.reviewer.get("/api/v1/review/requests")
    assert q.status_code == 200, q.text
    [item] = q.json()["requests"]
    assert (item["project"], item["app_name"], item["state"], item["needed"], item["age_days"]) == (
        "inbox-zen",
        "Inbox Zen",
        "submitted",
        "restricted",
        0,
    )
    assert item["scopes"] == [SEND, READ]
    d = review.reviewer.get(R).json()
    req = d["request"]
    assert req["justifications"][READ]["usage"] == f"We use {READ}." and req["attested"] is True
    assert req["submitted_by"] == DEV and req["submitted_at"]
    # VERIFY-4, VERIFY-5: the pre-checks ran on the submitted brand and the reviewer sees them.
    assert req["prechecks"] == FakeCheckers.PRECHECKS
    assert review.checkers.calls == [
        {
            "app_name": "Inbox Zen",
            "home_page": "https://inboxzen.example.com/",
            "privacy_policy": "https://inboxzen.example.com/privacy",
            "terms": "",
            "verified_domains": {"inboxzen.example.com"},
        }
    ]
    assert (
        req["scan_report"]["scopes"][0]["class"] == "restricted" and "unknown_key" not in req["scan_report"]
    )
    assert d["side_by_side"] == {
        "declared": [READ, SEND],
        "requested": [SEND, READ],
        "in_code": [READ],
        "suggested": ["mail.metadata"],
    }
    assert d["scopes"]["by_class"]["restricted"]["scopes"] == [READ]
    assert d["domains"][0]["verified"] is True and d["consent_screen"]["logo_url"] == f"{P}/logo"
    assert d["app_type_label"].startswith("Productivity") and d["video_checklist"]
    assert d["verification"]["assessment_required"] is True
    # Filters: nothing approved yet; an unknown state is bad input.
    assert review.reviewer.get("/api/v1/review/requests", params={"state": "approved"}).json() == {
        "requests": []
    }
    r = review.reviewer.get("/api/v1/review/requests", params={"state": "nonsense"})
    assert r.status_code == 400 and error(r) == "invalid_request"
    assert review.reviewer.get("/api/v1/review/requests/no-such-project").status_code == 404


def test_ask_answer_approve_some(review: Review) -> None:  # VERIFY-6 (per scope), VERIFY-7
    mails = len(_mail(review.seed))
    assert review.reviewer.post(f"{R}/start").json()["state"] == "in_review"
    r = review.reviewer.post(f"{R}/ask", {"message": "Show the send feature in the video."})
    assert r.status_code == 200 and r.json()["state"] == "waiting_for_developer"
    recipients, _subject, reason = _mail(review.seed)[-1]
    assert sorted(recipients) == sorted([*CONTACTS, SUPPORT]) and reason == "review:project:ask"
    v = review.dev.get(f"{P}/verification").json()
    assert [(m["side"], m["body"]) for m in v["request"]["messages"]] == [
        ("reviewer", "Show the send feature in the video.")
    ]
    assert v["status"]["next_action"].startswith("Answer")
    r = review.dev.post(f"{P}/verification/answer", {"message": "Added at 1:20."})
    assert r.status_code == 200 and r.json()["request"]["state"] == "in_review"
    r = review.reviewer.post(f"{R}/approve", {"scopes": ["mail.send"]})
    assert r.status_code == 200, r.text
    assert r.json() == {"project": "inbox-zen", "state": "approved", "approved_scopes": [SEND], "reasons": []}
    status = review.dev.get(P).json()
    assert status["approved_scopes"] == [SEND] and status["verification"]["unapproved_scopes"] == [READ]
    assert _tags(review.seed)[-5:] == [
        "review:project:submit",
        "review:project:start",
        "review:project:ask",
        "review:project:answer",
        "review:project:approve",
    ]
    assert len(_mail(review.seed)) == mails + 2  # the question and the approval
    data = rows(review.seed, "SELECT actor, data FROM audit_events WHERE tag = 'review:project:approve'")
    assert data[0][0] == REVIEWER and loaded(data[0][1])["channel"] == "api"


def test_wrong_state_is_409_and_changes_nothing(review: Review) -> None:
    assert review.reviewer.post(f"{R}/approve", {}).json()["approved_scopes"] == [SEND, READ]
    before = snapshot(review.seed)
    for path, body in (
        ("approve", {}),
        ("start", None),
        ("ask", {"message": "one more thing"}),
        ("reject", {"reasons": ["too late"]}),
    ):
        r = review.reviewer.post(f"{R}/{path}", body)
        assert r.status_code == 409 and error(r) == "wrong_state", (path, r.text)
    r = review.dev.post(f"{P}/verification/answer", {"message": "hello?"})
    assert r.status_code == 409 and error(r) == "wrong_state"
    assert snapshot(review.seed) == before


def test_reject_with_reasons(review: Review) -> None:
    before = snapshot(review.seed)
    body: dict[str, Any]
    for body in ({"reasons": []}, {"reasons": ["   "]}, {}, {"reasons": ["x" * 10_001]}):
        r = review.reviewer.post(f"{R}/reject", body)
        assert r.status_code == 400 and error(r) == "invalid_request", (body, r.text)
    r = review.reviewer.post(f"{R}/approve", {"scopes": ["calendar.readonly"]})  # not in the request
    assert r.status_code == 400 and error(r) == "invalid_scope"
    assert snapshot(review.seed) == before
    r = review.reviewer.post(f"{R}/reject", {"reasons": ["The privacy policy lacks Limited Use."]})
    assert r.status_code == 200 and r.json()["state"] == "rejected"
    v = review.dev.get(f"{P}/verification").json()
    assert v["request"]["reasons"] == ["The privacy policy lacks Limited Use."]
    assert v["status"]["review_state"] == "rejected"


def test_brand_change_cancels_the_open_review(review: Review) -> None:  # VERIFY-3
    r = review.dev.patch(f"{P}/consent-screen", {"app_name": "Inbox Zen Pro"})
    assert r.status_code == 200 and r.json()["brand_changed"] is True
    assert review.reviewer.get("/api/v1/review/requests").json() == {"requests": []}
    before = snapshot(review.seed)
    r = review.reviewer.post(f"{R}/approve", {})
    assert r.status_code == 409 and error(r) == "wrong_state"
    assert snapshot(review.seed) == before


def test_security_assessment(review: Review) -> None:  # SEC-5, SEC-8, VERIFY-9
    today = dt.datetime.now(dt.UTC).date()
    good = {
        "assessor": "Lab One",
        "tier": 2,
        "letter_date": today.isoformat(),
        "scopes": ["mail.readonly"],
        "deletion_checked": True,
    }
    before = snapshot(review.seed)
    for change, code in (
        ({"letter_date": (today + dt.timedelta(days=3)).isoformat()}, "invalid_date"),
        ({"scopes": ["mail.send"]}, "invalid_scope"),  # sensitive, not restricted
        ({"deletion_checked": False}, "deletion_unchecked"),
        ({"assessor": "   "}, "invalid_assessor"),
        ({"tier": 4}, "invalid_request"),
        ({"letter_date": "yesterday"}, "invalid_request"),
        ({"scopes": []}, "invalid_request"),
    ):
        r = review.reviewer.post(f"{R}/assessment", {**good, **change})
        assert r.status_code == 400 and error(r) == code, (change, r.text)
    r = review.dev.post(f"{R}/assessment", good)  # the developer cannot vouch for themselves
    assert r.status_code == 403 and error(r) == "forbidden"
    assert snapshot(review.seed) == before
    r = review.reviewer.post(f"{R}/assessment", good)
    assert r.status_code == 201, r.text
    assert r.json() == {
        "assessor": "Lab One",
        "tier": 2,
        "letter_date": today.isoformat(),
        "lapses_on": (today + dt.timedelta(days=365)).isoformat(),
        "scopes": [READ],
        "deletion_checked": True,
        "recorded_by": REVIEWER,
    }
    d = review.reviewer.get(R).json()
    assert d["assessments"][0]["tier"] == 2
    assert not [m for m in d["verification"]["missing"] if m["section"] == "assessment"]


def review_routes() -> list[tuple[str, str, Any]]:
    return [
        ("GET", "/api/v1/review/requests", None),
        ("GET", R, None),
        ("POST", f"{R}/start", None),
        ("POST", f"{R}/approve", {}),
        ("POST", f"{R}/reject", {"reasons": ["no"]}),
        ("POST", f"{R}/ask", {"message": "why?"}),
        (
            "POST",
            f"{R}/assessment",
            {
                "assessor": "Me",
                "tier": 1,
                "letter_date": "2024-01-01",
                "scopes": ["mail.readonly"],
                "deletion_checked": True,
            },
        ),
    ]


def test_only_reviewers_may_review(review: Review, client: Any) -> None:  # issue 11: non-reviewer 403
    before = snapshot(review.seed)
    for method, path, body in review_routes():
        for who in (review.dev, review.other):  # the project's own owner too
            r = who.write(method, path, body)
            assert r.status_code == 403 and error(r) == "forbidden", (who.email, path, r.text)
        r = client.request(method, path, json=body)
        assert r.status_code == 401 and error(r) == "unauthenticated", (path, r.text)
        if method == "POST":
            r = review.reviewer.write(method, path, body, csrf=None)
            assert r.status_code == 403 and error(r) == "csrf", (path, r.text)
    assert snapshot(review.seed) == before
