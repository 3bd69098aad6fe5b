"""The reviewer console over HTTP: the queue, the review page and every reviewer action.

Runs on SQLite and PostgreSQL. A project is brought to "submitted" through the domain services
(see ``submit_project``); the reviewer then signs in and works through the pages as a browser
would post them. Every refusal is checked to change nothing: the request's state, the project's
approved scopes and the outbox are read back from the database.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from dataclasses import dataclass
from html import unescape
from pathlib import Path
from typing import Any
from urllib.parse import quote

from sqlalchemy import func, select

from consentry.domain.scopes.catalogue import Catalogue
from consentry.domain.scopes.scanner import build_report, scan
from consentry.domain.verification.service import VIDEO_CHECKLIST
from consentry.storage.db import Database
from consentry.storage.tables import AuditEvent, OutboxMail, Project, SecurityAssessment, VerificationRequest
from tests.conftest import ISSUER
from tests.integration.review import PASSWORD, save_new_draft, submit_project
from tests.support.browserless import CSRF_RE, Browser, form_value

MAIL = f"{ISSUER}/auth/mail.readonly"
SEND = f"{ISSUER}/auth/mail.send"
FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "scan"
HTML = {"accept": "text/html"}


@dataclass(frozen=True)
class Snapshot:
    """What a reviewer's action may change, read straight from the database."""

    state: str
    approved: list[str]
    request_approved: list[str]
    reasons: list[str]
    mails: list[tuple[str, list[str], str]]
    assessments: int
    events: list[str]


def snapshot(database_url: str, name: str) -> Snapshot:
    db = Database(database_url)
    try:
        with db.unit_of_work() as s:
            project = s.scalar(select(Project).where(Project.name == name))
            assert project is not None
            row = s.scalar(
                select(VerificationRequest)
                .where(VerificationRequest.project_id == project.id)
                .order_by(VerificationRequest.id.desc())
            )
            assert row is not None
            mails = [
                (m.reason, list(m.recipients), m.body)
                for m in s.scalars(select(OutboxMail).order_by(OutboxMail.id))
                if (m.data or {}).get("project") == name
            ]
            events = [
                e.tag
                for e in s.scalars(select(AuditEvent).order_by(AuditEvent.id))
                if (e.data or {}).get("project") == name
            ]
            assessments = s.scalar(
                select(func.count())
                .select_from(SecurityAssessment)
                .where(SecurityAssessment.project_id == project.id)
            )
            return Snapshot(
                state=row.state,
                approved=sorted(project.approved_scopes or []),
                request_approved=sorted(row.approved_scopes or []),
                reasons=list(row.reasons or []),
                mails=mails,
                assessments=int(assessments or 0),
                events=events,
            )
    finally:
        db.dispose()


def sign_in(browser: Browser, email: str, next_path: str = "/review") -> Any:
    page = browser.follow(browser.get(ISSUER + "/signin?next=" + quote(next_path)))
    return browser.sign_in(page, email, PASSWORD)


def reviewer(seed: Any, browser: Browser, email: str = "rita@review.example.org") -> str:
    """A reviewer signed in on ``browser``; returns the CSRF token of the queue page."""
    seed.user(email, role="reviewer")
    page = sign_in(browser, email)
    assert page.status_code == 200 and "Verification requests" in page.text, page.text[:500]
    return form_csrf(browser)


def form_csrf(browser: Browser) -> str:
    """The CSRF token every form of this browser carries (bound to its session cookie)."""
    return form_value(browser.get(ISSUER + "/account").text, CSRF_RE)


def post(browser: Browser, name: str, action: str, data: dict[str, Any]) -> Any:
    return browser.http.post(
        f"{ISSUER}/review/{quote(name)}/{action}", data=data, headers=HTML, follow_redirects=False
    )


def queue_rows(html: str) -> list[tuple[str, str, str, bool, int]]:
    """(project, state, needs, highlighted, age in days) of each queue row, in page order."""
    rows = re.findall(
        r'<tr data-project="([^"]+)" data-state="([^"]+)" data-needs="([^"]+)"( class="old")?>.*?'
        r'data-days="(\d+)"',
        html,
        re.S,
    )
    return [(unescape(p), s, n, bool(old), int(days)) for p, s, n, old, days in rows]


def text_of(html: str) -> str:
    return re.sub(r"\s+", " ", unescape(re.sub(r"<[^>]+>", " ", html)))


NAME = "Mailer"


def scan_report(issuer: str) -> dict[str, Any]:
    """What ``consentry scan --json tests/fixtures/scan/python_mail_notifier`` prints."""
    catalogue = Catalogue(issuer)
    report = build_report(scan(str(FIXTURES / "python_mail_notifier"), catalogue), catalogue)
    return dict(json.loads(json.dumps(report, default=str)))


# --- who may review -----------------------------------------------------------------------------------


def test_only_reviewers_reach_the_console(database_url, seed, browser) -> None:  # VERIFY-7
    submit_project(database_url, ISSUER, NAME)
    before = snapshot(database_url, NAME)
    anonymous = browser.get(ISSUER + "/review")
    assert anonymous.status_code == 303 and anonymous.headers["location"].startswith("/signin")
    # The project's own owner is no reviewer: every page and action is 403.
    sign_in(browser, "dev@example.org", next_path="/account")
    csrf = form_csrf(browser)
    for path in ("/review", f"/review/{NAME}", f"/review/{NAME}/logo.png"):
        assert browser.get(ISSUER + path, headers=HTML).status_code == 403, path
    for action, data in (
        ("start", {}),
        ("approve", {"scope": SEND}),
        ("reject", {"reasons": "no"}),
        ("ask", {"message": "why?"}),
    ):
        r = post(browser, NAME, action, {"csrf": csrf, **data})
        assert r.status_code == 403, (action, r.text[:300])
    r = post(
        browser,
        NAME,
        "assessment",
        {
            "csrf": csrf,
            "assessor": "Lab",
            "tier": "2",
            "letter_date": "2024-01-02",
            "scope": MAIL,
            "deletion_checked": "yes",
        },
    )
    assert r.status_code == 403
    assert snapshot(database_url, NAME) == before


def test_actions_without_the_csrf_field_are_refused(database_url, seed, browser) -> None:  # SEC
    submit_project(database_url, ISSUER, NAME)
    reviewer(seed, browser)
    before = snapshot(database_url, NAME)
    for action, data in (("start", {}), ("approve", {"scope": SEND}), ("ask", {"message": "why?"})):
        assert post(browser, NAME, action, data).status_code == 403, action
        assert post(browser, NAME, action, {"csrf": "forged", **data}).status_code == 403, action
    assert snapshot(database_url, NAME) == before


# --- the queue ----------------------------------------------------------------------------------------


def test_queue_filters_by_state_and_class_and_shows_age(database_url, seed, browser) -> None:  # VERIFY-7
    submit_project(database_url, ISSUER, "Old Mail", submitted_days_ago=12)
    submit_project(database_url, ISSUER, "Calendar", scopes=("calendar.readonly",), submitted_days_ago=2)
    submit_project(database_url, ISSUER, NAME)
    csrf = reviewer(seed, browser)

    page = browser.get(ISSUER + "/review")
    assert page.status_code == 200
    # Oldest first; requests open a week or more are highlighted; scopes counted by class.
    assert queue_rows(page.text) == [
        ("Old Mail", "submitted", "restricted", True, 12),
        ("Calendar", "submitted", "sensitive", False, 2),
        (NAME, "submitted", "restricted", False, 0),
    ]
    row = re.search(r'<tr data-project="Calendar".*?</tr>', page.text, re.S)
    assert row and "1 sensitive" in row.group(0) and "restricted</span>" not in row.group(0)
    assert "1 restricted" in page.text and "Calendar Reminders" in page.text

    def shown(query: str) -> list[str]:
        r = browser.get(ISSUER + "/review?" + query)
        assert r.status_code == 200
        return [p for p, *_ in queue_rows(r.text)]

    assert shown("needs=restricted") == ["Old Mail", NAME]
    assert shown("needs=sensitive") == ["Calendar"]
    assert shown("state=in_review") == []
    assert post(browser, "Calendar", "start", {"csrf": csrf}).status_code == 303
    assert (
        post(browser, NAME, "ask", {"csrf": csrf, "message": "Which feature reads mail?"}).status_code == 303
    )
    assert post(browser, "Old Mail", "reject", {"csrf": csrf, "reasons": "No home page"}).status_code == 303
    assert shown("state=in_review") == ["Calendar"]
    assert shown("state=waiting_for_developer") == [NAME]
    assert shown("state=submitted") == []
    assert shown("state=open") == ["Calendar", NAME]
    assert shown("state=decided") == ["Old Mail"]
    assert shown("state=decided&needs=sensitive") == []
    # The counts on the filters follow the class filter.
    r = browser.get(ISSUER + "/review?needs=restricted")
    counts = dict(re.findall(r'data-filter="state:(\w+)">[^<]*<span class="n">(\d+)</span>', r.text))
    assert counts == {
        "open": "1",
        "submitted": "0",
        "in_review": "0",
        "waiting_for_developer": "1",
        "decided": "1",
    }
    # An unknown filter value shows the open requests rather than failing.
    assert shown("state=bogus") == ["Calendar", NAME]


# --- the review page ----------------------------------------------------------------------------------


def test_review_page_shows_every_submitted_field(database_url, seed, browser) -> None:  # VERIFY-6
    submit_project(database_url, ISSUER, NAME, scan_report=scan_report(ISSUER))
    reviewer(seed, browser)
    page = browser.get(ISSUER + f"/review/{NAME}")
    assert page.status_code == 200
    html, text = page.text, text_of(page.text)
    # Per scope: the developer's answers and the advisor's narrower alternative.
    assert "Reads what mail.readonly allows to send reminders." in text
    assert "The reminder needs the message bodies." in text
    card = re.search(r'<article class="scope-card" data-scope="mail.readonly">.*?</article>', html, re.S)
    assert card and "mail.metadata" in card.group(0)
    # The submission.
    assert "https://mailer.example.com/docs/reminders" in html
    assert 'href="https://video.example.com/watch/unlisted-123"' in html
    for item in VIDEO_CHECKLIST:
        assert item in text
    assert "Productivity (CRM, delayed send, mail merge, AI summaries)" in text
    assert "Only to our mail provider, to send the reminders." in text
    assert "Nobody, except with the user's consent for support." in text
    assert "Attested" in text
    # The brand, with the logo served to reviewers as a PNG and the domain's proof.
    assert "Mailer Reminders" in text and "https://mailer.example.com/privacy" in html
    assert "support@mailer.example.com" in text and "dev@mailer.example.com" in text
    assert re.search(r'data-domain="mailer.example.com" data-verified="yes"', html)
    logo = browser.get(ISSUER + f"/review/{NAME}/logo.png")
    assert logo.status_code == 200 and logo.headers["content-type"] == "image/png"
    assert logo.content.startswith(b"\x89PNG")
    # Pre-checks, pass and fail, with their evidence.
    failed = re.search(r'<li class="check-item fail" data-code="privacy_limited_use">.*?</li>', html, re.S)
    assert failed and "HTTP 200" in failed.group(0) and "We store your data" in failed.group(0)
    assert 'class="check-item pass" data-code="home_page_reachable"' in html
    assert "1/2 passed" in text
    # The scan report: requested (in the code) / declared / needed, side by side.
    scan_rows = {
        m[0]: m[1]
        for m in re.findall(r'<tr data-scope="([^"]+)"(?: class="mismatch")?>(.*?)</tr>', html, re.S)
    }
    assert {"mail", "mail.readonly", "mail.send", "openid", "email"} <= set(scan_rows)

    def marks(scope: str) -> list[bool]:
        return [m == "yes" for m in re.findall(r'aria-label="(yes|no)"', scan_rows[scope])]

    assert marks("mail") == [True, False, False]  # the code asks the whole mailbox...
    assert marks("mail.readonly") == [False, True, False]  # ...declared, but not needed...
    assert marks("mail.send") == [False, True, True]  # ...while sending is all the code does
    # Scopes by class, the state and the decision forms.
    assert re.search(r'data-class="restricted">.*?mail\.readonly', html, re.S)
    assert re.search(r'data-class="sensitive">.*?mail\.send', html, re.S)
    assert 'id="start-form"' in html and 'id="approve-form"' in html and 'id="reject-form"' in html
    assert html.count('name="csrf"') == 5  # start, approve, ask, reject, assessment


def test_a_project_without_a_submission_is_not_found(database_url, seed, browser) -> None:
    reviewer(seed, browser)
    assert browser.get(ISSUER + "/review/Nothing", headers=HTML).status_code == 404


# --- actions -------------------------------------------------------------------------------------------


def test_approving_some_scopes_approves_exactly_those(database_url, seed, browser) -> None:  # VERIFY-6, 7
    submit_project(database_url, ISSUER, NAME)
    csrf = reviewer(seed, browser)
    r = post(browser, NAME, "start", {"csrf": csrf})
    assert r.status_code == 303 and r.headers["location"] == f"/review/{NAME}?done=started"
    assert snapshot(database_url, NAME).state == "in_review"

    # Nothing ticked is not "approve everything": refused, nothing changes.
    before = snapshot(database_url, NAME)
    r = post(browser, NAME, "approve", {"csrf": csrf})
    assert r.status_code == 400 and "Tick at least one scope" in text_of(r.text)
    assert snapshot(database_url, NAME) == before

    r = post(browser, NAME, "approve", {"csrf": csrf, "scope": [SEND]})
    assert r.status_code == 303
    after = snapshot(database_url, NAME)
    assert after.state == "approved"
    assert after.approved == [SEND] and after.request_approved == [SEND]  # not mail.readonly
    reason, to, body = after.mails[-1]
    assert reason == "review:project:approve"
    assert to == ["dev@mailer.example.com", "support@mailer.example.com"]
    assert "mail.send" in body
    assert after.events[-2:] == ["review:project:start", "review:project:approve"]

    page = browser.get(ISSUER + r.headers["location"])
    text = text_of(page.text)
    assert "Approved. The developer contacts" in text
    assert 'id="approve-form"' not in page.text and "This request is closed" in text
    # A decided request cannot be decided again: 409 with the reason, nothing changes.
    r = post(browser, NAME, "reject", {"csrf": csrf, "reasons": "Changed my mind"})
    assert r.status_code == 409 and "cannot reject a request that is approved" in text_of(r.text).lower()
    assert snapshot(database_url, NAME) == after


def test_rejecting_needs_reasons(database_url, seed, browser) -> None:  # VERIFY-7
    submit_project(database_url, ISSUER, NAME)
    csrf = reviewer(seed, browser)
    before = snapshot(database_url, NAME)
    r = post(browser, NAME, "reject", {"csrf": csrf, "reasons": "  \n \n"})
    assert r.status_code == 400 and "say why the request is rejected" in text_of(r.text).lower()
    assert snapshot(database_url, NAME) == before
    long = "Too long. " * 600
    r = post(browser, NAME, "reject", {"csrf": csrf, "reasons": long})
    assert r.status_code == 400 and 'data-code="too_long"' in r.text
    assert long.strip() in unescape(r.text)  # the reviewer's text is kept in the form, not lost
    assert snapshot(database_url, NAME) == before

    reasons = "The privacy policy has no Limited Use statement.\n\nThe video does not show the client ID."
    r = post(browser, NAME, "reject", {"csrf": csrf, "reasons": reasons})
    assert r.status_code == 303
    after = snapshot(database_url, NAME)
    assert after.state == "rejected" and after.approved == []
    assert after.reasons == [
        "The privacy policy has no Limited Use statement.",
        "The video does not show the client ID.",
    ]
    reason, to, body = after.mails[-1]
    assert reason == "review:project:reject" and "support@mailer.example.com" in to
    assert "Limited Use" in body
    page = browser.get(ISSUER + f"/review/{NAME}")
    assert re.search(r'<ul class="reasons" id="reasons">.*?client ID', page.text, re.S)
    # The developer starts a new draft: the decided request stays readable for reviewers.
    save_new_draft(database_url, ISSUER, NAME)
    page = browser.get(ISSUER + f"/review/{NAME}")
    assert page.status_code == 200 and 'data-state="rejected"' in page.text and 'id="closed"' in page.text


def test_asking_waits_for_the_developer(database_url, seed, browser) -> None:  # VERIFY-7
    submit_project(database_url, ISSUER, NAME)
    csrf = reviewer(seed, browser)
    question = "Which feature reads the whole mailbox?"
    assert post(browser, NAME, "ask", {"csrf": csrf, "message": question}).status_code == 303
    after = snapshot(database_url, NAME)
    assert after.state == "waiting_for_developer"
    reason, to, body = after.mails[-1]
    assert reason == "review:project:ask" and to == ["dev@mailer.example.com", "support@mailer.example.com"]
    assert question in body
    page = browser.get(ISSUER + f"/review/{NAME}")
    assert re.search(r'<li class="reviewer" data-side="reviewer">.*?' + re.escape(question), page.text, re.S)
    assert 'data-state="waiting_for_developer"' in page.text

    # Approving or starting while the developer owes an answer: 409, the page says why, nothing changes.
    r = post(browser, NAME, "approve", {"csrf": csrf, "scope": [SEND, MAIL]})
    assert r.status_code == 409
    assert "cannot approve a request that is waiting for developer" in text_of(r.text).lower()
    assert 'role="alert" data-code="wrong_state"' in r.text
    assert post(browser, NAME, "start", {"csrf": csrf}).status_code == 409
    # A rejection without a reason is refused too, before the state is even considered.
    r = post(browser, NAME, "reject", {"csrf": csrf, "reasons": ""})
    assert r.status_code == 400
    assert snapshot(database_url, NAME) == after


def test_security_assessment_is_recorded_with_its_lapse_date(database_url, seed, browser) -> None:
    """SEC-5, SEC-8, VERIFY-9: a letter of validation lapses 12 months after its date."""
    submit_project(database_url, ISSUER, NAME)
    csrf = reviewer(seed, browser)
    page = browser.get(ISSUER + f"/review/{NAME}")
    assert 'id="no-assessment"' in page.text and 'data-code="assessment_missing"' in page.text
    letter = dt.datetime.now(dt.UTC).date() - dt.timedelta(days=30)
    form = {
        "csrf": csrf,
        "assessor": "Acme Labs",
        "tier": "2",
        "letter_date": letter.isoformat(),
        "scope": MAIL,
    }
    before = snapshot(database_url, NAME)

    r = post(browser, NAME, "assessment", form)  # deletion on request not checked (SEC-8)
    assert r.status_code == 400 and "deletes user data on request" in text_of(r.text)
    assert 'value="Acme Labs"' in r.text  # what was typed is kept
    future = (dt.datetime.now(dt.UTC).date() + dt.timedelta(days=10)).isoformat()
    bad: dict[str, Any]
    for bad in (
        {"tier": "7"},
        {"letter_date": "yesterday"},
        {"letter_date": future},
        {"scope": SEND},
        {"scope": []},
    ):
        r = post(browser, NAME, "assessment", {**form, "deletion_checked": "yes", **bad})
        assert r.status_code == 400, bad
    assert snapshot(database_url, NAME) == before

    r = post(browser, NAME, "assessment", {**form, "deletion_checked": "yes"})
    assert r.status_code == 303
    after = snapshot(database_url, NAME)
    assert after.assessments == 1 and after.events[-1] == "review:assessment:record"
    assert after.state == before.state  # an assessment is no decision on the request
    page = browser.get(ISSUER + r.headers["location"])
    lapses = (letter + dt.timedelta(days=365)).isoformat()
    assert f'data-lapses="{lapses}"' in page.text
    text = text_of(page.text)
    assert "Acme Labs" in text and "Tier 2: lab-verified scan" in text and "in 335 days" in text
    assert 'data-code="assessment_missing"' not in page.text and 'id="no-assessment"' not in page.text
