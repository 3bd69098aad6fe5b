"""The admin console's pages and API answers (issue 14, AUTH0-5, AUTH2-5, VERIFY-10): what the
apps list says about each app, the forms and their refusals (nothing changed), delegation through
the page, and every change audited with its channel.
"""

from __future__ import annotations

from html import unescape

from tests.integration.orgs import (
    ADMIN,
    CAL,
    FILE,
    MAIL,
    MEMBER,
    ORG,
    ORG_API,
    admin_api,
    audit_tags,
    csrf_of,
    people,
    post_form,
    project_id,
)
from tests.integration.policy.helpers import set_project
from tests.integration.service_accounts.support import service_account
from tests.support.flows import tokens_for


def test_apps_list_scopes_by_class_verification_and_users(seed, app, browser, client):  # AUTH0-5
    people(seed)
    reviewed = seed.client("web", project="Reviewed")
    unreviewed = seed.client("web", project="Unreviewed", verified=False)
    set_project(seed, unreviewed, declared_scopes=[CAL, FILE], app_name="Side Project")
    tokens_for(browser, client, reviewed, MEMBER, f"openid {MAIL} {FILE}")
    browser.http.cookies.clear()
    api = admin_api(app)
    tokens_for(browser, client, reviewed, ADMIN, f"openid {CAL}")
    listed = {a["project"]: a for a in api.get(f"{ORG_API}/apps").json()["apps"]}
    r = listed["Reviewed"]
    assert r["users"] == 2 and r["verified"] is True and r["access"] is None
    assert r["scopes"] == {
        "restricted": ["mail.readonly"],
        "sensitive": ["calendar.readonly"],
        "non-sensitive": ["files.file", "openid"],
    }
    assert r["client_ids"] == [reviewed.client_id]
    # A configured app nobody uses is listed (so it can be unblocked), unverified.
    api.put(f"{ORG_API}/apps/{unreviewed.client_id}/access", {"access": "blocked"})
    listed = {a["project"]: a for a in api.get(f"{ORG_API}/apps").json()["apps"]}
    assert listed["Unreviewed"]["users"] == 0 and listed["Unreviewed"]["access"] == "blocked"
    assert listed["Unreviewed"]["name"] == "Side Project"
    html = unescape(api.http.get("/admin/apps").text)
    row = html.split(f'data-project="{project_id(seed, reviewed)}"', 1)[1].split("</tr>", 1)[0]
    assert "1 restricted" in row and "1 sensitive" in row and "Verified" in row and "Not configured" in row
    blocked = html.split(f'data-project="{project_id(seed, unreviewed)}"', 1)[1].split("</tr>", 1)[0]
    assert "Side Project" in blocked and 'data-access="blocked"' in blocked


def test_every_page_renders_for_the_admin(seed, app):  # AUTH0-5
    people(seed)
    c = seed.client("web")
    http = admin_api(app).http
    for path, words in (
        ("/admin", "Your rules for apps"),
        ("/admin/members", MEMBER),
        ("/admin/apps", "Configure another app"),
        ("/admin/policy", "Restricted APIs"),
        ("/admin/delegation", "Add or change a delegation"),
        ("/admin/requests", "Waiting for a decision"),
        (f"/admin/apps/{project_id(seed, c)}", "Install for everyone"),
    ):
        r = http.get(path)
        assert r.status_code == 200 and words in r.text and ORG in r.text, path
    assert http.get("/admin/apps/999999", headers={"accept": "text/html"}).status_code == 404


def test_find_an_app_by_client_id_then_block_it_on_its_page(seed, app):  # AUTH0-5
    people(seed)
    c = seed.client("web")
    http = admin_api(app).http
    csrf = csrf_of(http, "/admin/apps")
    r = http.post("/admin/apps", data={"csrf": csrf, "client_id": c.client_id}, follow_redirects=False)
    pid = project_id(seed, c)
    assert r.status_code == 303 and r.headers["location"] == f"/admin/apps/{pid}"
    missing = http.post("/admin/apps", data={"csrf": csrf, "client_id": "no-such-client"})
    assert missing.status_code == 404 and "no-such-client" in unescape(missing.text)
    r = http.post(
        f"/admin/apps/{pid}/access", data={"csrf": csrf, "access": "blocked"}, follow_redirects=False
    )
    assert r.status_code == 303 and r.headers["location"] == f"/admin/apps/{pid}?done=access"
    page = http.get(f"/admin/apps/{pid}?done=access")
    assert (
        'value="blocked" checked' in page.text
        and "access the new setting refuses was taken back" in page.text
    )
    bad = http.post(f"/admin/apps/{pid}/access", data={"csrf": csrf, "access": "sometimes"})
    assert bad.status_code == 400 and 'data-code="invalid_access"' in bad.text
    r = http.post(
        f"/admin/apps/{pid}/install", data={"csrf": csrf, "installed": "on"}, follow_redirects=False
    )
    assert r.headers["location"] == f"/admin/apps/{pid}?done=installed"
    page = http.get(f"/admin/apps/{pid}")
    assert 'id="installed-badge"' in page.text and 'value="trusted" checked' in page.text
    tags = [(t, d["channel"]) for t, _a, d in audit_tags(seed, "org:app")]
    assert tags == [("org:app:access", "web"), ("org:app:install", "web")]


def test_policy_form_refuses_bad_input_and_changes_nothing(seed, app):  # AUTH0-5
    people(seed)
    api = admin_api(app)
    http = api.http
    csrf = csrf_of(http, "/admin/policy")
    long = "x" * 501
    r = http.post("/admin/policy", data={"csrf": csrf, "unconfigured": "block", "refusal_message": long})
    assert r.status_code == 400 and 'data-code="message_too_long"' in r.text and long in r.text
    r = http.post("/admin/policy", data={"csrf": csrf, "unconfigured": "maybe"})
    assert r.status_code == 400 and 'data-code="invalid_policy"' in r.text
    r = post_form(http, "/admin/policy", [("csrf", csrf), ("unconfigured", "allow"), ("api", "telepathy")])
    assert r.status_code == 400 and 'data-code="invalid_api"' in r.text
    assert api.get(f"{ORG_API}/policy").json()["unconfigured"] == "allow"
    assert audit_tags(seed, "org:policy") == []
    r = post_form(
        http,
        "/admin/policy",
        [
            ("csrf", csrf),
            ("unconfigured", "sign-in-only"),
            ("api", "files"),
            ("api", "mail"),
            ("refusal_message", "Ask IT first."),
            ("internal_approval", "on"),
        ],
        follow_redirects=False,
    )
    assert r.status_code == 303
    policy = api.get(f"{ORG_API}/policy").json()
    assert (
        policy["unconfigured"],
        policy["restricted_apis"],
        policy["refusal_message"],
        policy["internal_approval"],
    ) == (
        "sign-in-only",
        ["mail", "files"],
        "Ask IT first.",
        True,
    )
    overview = unescape(http.get("/admin").text)
    assert "Policy: unconfigured apps sign-in-only" in overview and "Ask IT first." in overview


def test_api_refuses_bad_policy_input_with_its_code(seed, app):  # AUTH0-5
    people(seed)
    api = admin_api(app)
    r = api.patch(f"{ORG_API}/policy", {"refusal_message": "y" * 501})
    assert r.status_code == 400 and r.json()["error"] == "message_too_long"
    r = api.patch(f"{ORG_API}/policy", {"restricted_apis": ["sign-in"]})
    assert r.status_code == 400 and r.json()["error"] == "invalid_api"
    r = api.patch(f"{ORG_API}/policy", {"unconfigured": "perhaps"})
    assert r.status_code == 400 and r.json()["error"] == "invalid_request"
    r = api.put(f"{ORG_API}/apps/nobody/access", {"access": "blocked"})
    assert r.status_code == 404 and r.json()["error"] == "not_found"


def test_delegation_through_the_page(seed, app):  # AUTH2-5
    people(seed)
    sa = service_account(seed)
    web = seed.client("web")
    http = admin_api(app).http
    csrf = csrf_of(http, "/admin/delegation")
    form = [
        ("csrf", csrf),
        ("client_id", sa.client_id),
        ("scope", "calendar.readonly"),
        ("scope", "mail.readonly"),
    ]
    r = post_form(http, "/admin/delegation", form, follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/admin/delegation?done=delegated"
    page = http.get("/admin/delegation")
    row = page.text.split(f'data-client="{sa.client_id}"', 1)[1].split("</tr>", 1)[0]
    assert "calendar.readonly" in row and "mail.readonly" in row and sa.email in row
    wrong = post_form(
        http, "/admin/delegation", [("csrf", csrf), ("client_id", web.client_id), ("scope", "calendar")]
    )
    assert wrong.status_code == 400 and 'data-code="not_a_service_account"' in wrong.text
    none = post_form(http, "/admin/delegation", [("csrf", csrf), ("client_id", sa.client_id)])
    assert none.status_code == 400 and 'data-code="invalid_scope"' in none.text
    r = http.post(
        "/admin/delegation/remove", data={"csrf": csrf, "client_id": sa.client_id}, follow_redirects=False
    )
    assert r.headers["location"] == "/admin/delegation?done=undelegated"
    assert 'id="no-delegations"' in http.get("/admin/delegation").text
    assert [t for t, _a, _d in audit_tags(seed, "org:delegation")] == [
        "org:delegation:set",
        "org:delegation:remove",
    ]


def test_delegation_over_the_api(seed, app):  # AUTH2-5
    people(seed)
    sa = service_account(seed)
    api = admin_api(app)
    r = api.put(f"{ORG_API}/delegations/{sa.client_id}", {"scopes": ["calendar.readonly"]})
    assert r.status_code == 200
    [entry] = r.json()["delegations"]
    assert (
        entry["client_id"] == sa.client_id
        and entry["scopes"] == ["calendar.readonly"]
        and entry["created_by"] == ADMIN
    )
    assert api.delete(f"{ORG_API}/delegations/{sa.client_id}").json()["delegations"] == []
    again = api.delete(f"{ORG_API}/delegations/{sa.client_id}")
    assert again.status_code == 404


def test_hostile_input_is_refused_never_a_server_error(seed, app, browser):  # AUTH0-5
    people(seed)
    api = admin_api(app)
    http = api.http
    csrf = csrf_of(http, "/admin/policy")
    huge = str(2**40)
    for r in (
        http.get(f"/admin/apps/{huge}", headers={"accept": "text/html"}),
        http.post(f"/admin/apps/{huge}/access", data={"csrf": csrf, "access": "blocked"}),
        http.post(f"/admin/requests/{huge}", data={"csrf": csrf, "decision": "approve"}),
        http.post("/admin/requests/-1", data={"csrf": csrf, "decision": "approve"}),
        api.post(f"{ORG_API}/requests/{huge}/decision", {"decision": "approve"}),
        api.put(f"{ORG_API}/members/%00ada/role", {"role": "admin"}),
        api.get("/api/v1/orgs/" + "x" * 300 + "/apps"),
        api.patch(f"{ORG_API}/policy", {"refusal_message": "nul\x00byte"}),
        api.patch(f"{ORG_API}/policy", {"refusal_message": "bidi \u202e override"}),
        api.put(f"{ORG_API}/apps/{'c' * 101}/access", {"access": "blocked"}),
        http.post(
            "/admin/policy", data={"csrf": csrf, "unconfigured": "allow", "refusal_message": "\x07bell"}
        ),
    ):
        assert 400 <= r.status_code < 500, (r.request.url, r.status_code, r.text[:300])
    people_page = browser.get(browser.base + f"/account/organization/request?project={huge}")
    assert people_page.status_code in (200, 303)
    assert api.get(f"{ORG_API}/policy").json()["refusal_message"] == ""
