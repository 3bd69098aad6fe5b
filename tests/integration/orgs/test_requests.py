"""Members ask their admins for an app the organization refuses (issue 14, AUTH0-5): from the
refusal page to the form, the admins' queue, approve (the member gets in) or deny (the member is
told why), and a request nobody decides lapses after 30 days.
"""

from __future__ import annotations

import re
from html import unescape

from tests.integration.orgs import (
    ADMIN,
    CAL,
    MEMBER,
    ORG_API,
    admin_api,
    age_requests,
    assert_org_refusal,
    csrf_of,
    mails_to,
    people,
    project_id,
    reaches_consent,
    requests_of,
    set_message,
    start,
)
from tests.support.browserless import CSRF_RE, form_value

DAY = 86400
REASON = "Our client shares their project plans through it."


def _blocked_and_asked(seed, app, browser):
    """A blocked app, the member refused, then asking through the refusal page's link."""
    people(seed)
    c = seed.client("web")
    api = admin_api(app)
    set_message(api)
    api.put(f"{ORG_API}/apps/{c.client_id}/access", {"access": "blocked"})
    ask_url = assert_org_refusal(start(browser, c, MEMBER, f"openid {CAL}"))
    form = browser.get(browser.base + ask_url)
    assert form.status_code == 200 and 'name="reason"' in form.text
    sent = browser.http.post(
        browser.base + "/account/organization/request",
        data={"csrf": form_value(form.text, CSRF_RE), "project": str(project_id(seed, c)), "reason": REASON},
        follow_redirects=False,
    )
    assert sent.status_code == 303, sent.text[:500]
    return c, api, sent.headers["location"]


def test_ask_then_approve_lets_the_member_in(seed, app, browser):  # AUTH0-5
    c, api, done = _blocked_and_asked(seed, app, browser)
    mine = browser.get(browser.base + done)
    assert "Request sent" in mine.text and 'data-status="pending"' in mine.text
    [row] = requests_of(seed)
    assert row.status == "pending" and row.reason == REASON
    assert row.expires_at - row.created_at == 30 * DAY
    # The admins are mailed, with the reason and where to decide.
    [mail] = mails_to(seed, ADMIN)
    assert MEMBER in mail.subject and REASON in mail.body and "/admin/requests" in mail.body
    queue = api.get(f"{ORG_API}/requests").json()["requests"]
    assert [(r["email"], r["reason"], r["status"]) for r in queue] == [(MEMBER, REASON, "pending")]
    # The admin decides on the queue page.
    page = api.http
    listed = page.get("/admin/requests")
    assert REASON in unescape(listed.text) and f'data-request="{row.id}"' in listed.text
    r = page.post(
        f"/admin/requests/{row.id}",
        data={"csrf": form_value(listed.text, CSRF_RE), "decision": "approve", "answer": "Go ahead."},
        follow_redirects=False,
    )
    assert r.status_code == 303 and r.headers["location"] == "/admin/requests?done=approved"
    told = mails_to(seed, MEMBER)
    assert told and "approved" in told[-1].subject and "Go ahead." in told[-1].body
    assert reaches_consent(start(browser, c, MEMBER, f"openid {CAL}"))
    mine = browser.get(browser.base + done)
    assert 'data-status="approved"' in mine.text


def test_deny_tells_the_member_and_keeps_the_app_refused(seed, app, browser):  # AUTH0-5
    c, api, done = _blocked_and_asked(seed, app, browser)
    [row] = requests_of(seed)
    r = api.post(
        f"{ORG_API}/requests/{row.id}/decision", {"decision": "deny", "answer": "Use the approved tool."}
    )
    assert r.status_code == 200 and r.json()["status"] == "denied" and r.json()["decided_by"] == ADMIN
    told = mails_to(seed, MEMBER)[-1]
    assert (
        "denied" in told.subject and "did not approve" in told.body and "Use the approved tool." in told.body
    )
    assert_org_refusal(start(browser, c, MEMBER, f"openid {CAL}"))
    mine = browser.get(browser.base + done)
    assert 'data-status="denied"' in mine.text and "Use the approved tool." in mine.text
    # Decided once: a second decision finds nothing open.
    again = api.post(f"{ORG_API}/requests/{row.id}/decision", {"decision": "approve"})
    assert again.status_code == 404 and again.json()["error"] == "not_found"


def test_a_request_lapses_after_30_days(seed, app, browser):  # AUTH0-5
    _c, api, done = _blocked_and_asked(seed, app, browser)
    [row] = requests_of(seed)
    age_requests(seed, 30 * DAY + 60)
    assert api.get(f"{ORG_API}/requests").json()["requests"] == []
    lapsed = api.get(f"{ORG_API}/requests", params={"status": "lapsed"}).json()["requests"]
    assert [(r["id"], r["status"]) for r in lapsed] == [(row.id, "lapsed")]
    page = api.http.get("/admin/requests")
    section = page.text.split('id="lapsed"', 1)[1].split('id="decided"', 1)[0]
    assert f'data-request="{row.id}"' in section and 'id="no-open"' in page.text
    r = api.post(f"{ORG_API}/requests/{row.id}/decision", {"decision": "approve"})
    assert r.status_code == 404 and "lapsed" in r.json()["error_description"]
    # The member sees it lapsed, and may ask again.
    mine = browser.get(browser.base + done)
    assert 'data-status="lapsed"' in mine.text and 'name="reason"' in mine.text


def test_asking_twice_is_refused_and_keeps_one_request(seed, app, browser):  # AUTH0-5
    c, _api, _done = _blocked_and_asked(seed, app, browser)
    form = browser.get(browser.base + f"/account/organization/request?project={project_id(seed, c)}")
    assert 'id="already"' in form.text
    again = browser.http.post(
        browser.base + "/account/organization/request",
        data={
            "csrf": csrf_of(browser.http, "/account"),
            "project": str(project_id(seed, c)),
            "reason": "Again",
        },
    )
    assert again.status_code == 409 and "already asked" in again.text
    assert len(requests_of(seed)) == 1


def test_the_request_form_refuses_bad_input(seed, app, browser):  # AUTH0-5
    people(seed)
    c = seed.client("web")
    start(browser, c, MEMBER, "openid")  # signs the member in
    form = browser.get(browser.base + f"/account/organization/request?project={project_id(seed, c)}")
    csrf = form_value(form.text, CSRF_RE)
    post = browser.http.post
    empty = post(
        browser.base + "/account/organization/request", data={"csrf": csrf, "project": "1", "reason": " "}
    )
    assert empty.status_code == 400 and 'data-code="invalid_reason"' in empty.text
    unknown = post(
        browser.base + "/account/organization/request", data={"csrf": csrf, "project": "x", "reason": "a"}
    )
    assert unknown.status_code == 400 and 'data-code="unknown_app"' in unknown.text
    forged = post(
        browser.base + "/account/organization/request", data={"csrf": "nope", "project": "1", "reason": "a"}
    )
    assert forged.status_code == 403
    assert requests_of(seed) == []


def test_someone_outside_any_organization_cannot_ask(seed, app, browser):  # AUTH0-5
    people(seed)
    c = seed.client("web")
    start(browser, c, "out@example.org", "openid")
    form = browser.get(browser.base + f"/account/organization/request?project={project_id(seed, c)}")
    assert form.status_code == 400 and 'data-code="no_organization"' in form.text
    assert not re.search(r'name="reason"', form.text)
