"""Each rule an organization's admins set, end to end over HTTP on both engines (issue 14,
AUTH0-5, VERIFY-10): the admin sets it through ``/api/v1/orgs/{domain}``, a member's next
/authorize meets it, and a user outside the organization never does.
"""

from __future__ import annotations

from tests.conftest import ISSUER
from tests.integration.orgs import (
    ADMIN,
    CAL,
    FILE,
    MAIL,
    MEMBER,
    MESSAGE,
    ORG,
    ORG_API,
    OUTSIDER,
    admin_api,
    assert_org_refusal,
    people,
    project_id,
    reaches_consent,
    set_message,
    start,
)
from tests.integration.policy.helpers import set_project
from tests.support.browserless import CSRF_RE, form_value
from tests.support.flows import PASSWORD, get_code

DEVICE_GRANT = "urn:ietf:params:oauth:grant-type:device_code"


def test_blocked_app_is_refused_with_the_organizations_message(seed, app, browser):  # AUTH0-5
    people(seed)
    c = seed.client("web")
    api = admin_api(app)
    set_message(api)
    r = api.put(f"{ORG_API}/apps/{c.client_id}/access", {"access": "blocked"})
    assert r.status_code == 200 and r.json()["values"]["access"] == "blocked"
    page = start(browser, c, MEMBER, f"openid {CAL}")
    ask = assert_org_refusal(page)
    assert ask == f"/account/organization/request?project={project_id(seed, c)}"
    assert "can&#39;t be used" in page.text or "can't be used" in page.text
    # Nothing reached the app: the refusal is a page for the member, not a redirect.
    assert "location" not in page.headers
    # Someone outside the organization is not governed by its admins.
    browser.http.cookies.clear()
    assert reaches_consent(start(browser, c, OUTSIDER, f"openid {CAL}"))


def test_a_block_set_while_the_consent_page_is_open_refuses_the_consent(seed, app, browser):  # AUTH0-5
    # The consent POST decides again with the organization's rules as they are now.
    people(seed)
    c = seed.client("web")
    api = admin_api(app)
    set_message(api)
    page = start(browser, c, MEMBER, f"openid {CAL}")
    assert reaches_consent(page)
    assert api.put(f"{ORG_API}/apps/{c.client_id}/access", {"access": "blocked"}).status_code == 200
    answer = browser.consent(page, ["openid", CAL])
    assert_org_refusal(answer)
    assert "location" not in answer.headers


def test_without_a_message_the_refusal_says_the_organization_refuses(seed, app, browser):  # AUTH0-5
    people(seed)
    c = seed.client("web")
    admin_api(app).put(f"{ORG_API}/apps/{c.client_id}/access", {"access": "blocked"})
    page = start(browser, c, MEMBER, "openid email")
    assert page.status_code == 403 and "admin_policy_enforced" in page.text
    assert f"Your organization ({ORG})" in page.text and "blocked it" in page.text


def test_unconfigured_block_refuses_apps_not_configured_only(seed, app, browser):  # AUTH0-5
    people(seed)
    unknown, trusted = seed.client("web"), seed.client("web")
    api = admin_api(app)
    set_message(api)
    assert api.put(f"{ORG_API}/apps/{trusted.client_id}/access", {"access": "trusted"}).status_code == 200
    r = api.patch(f"{ORG_API}/policy", {"unconfigured": "block"})
    assert r.status_code == 200 and r.json()["values"] == {"unconfigured": "block"}
    assert_org_refusal(start(browser, unknown, MEMBER, "openid email"))
    assert reaches_consent(start(browser, trusted, MEMBER, f"openid {CAL}"))


def test_sign_in_only_lets_unconfigured_apps_sign_in_and_nothing_more(seed, app, browser):  # AUTH0-5
    people(seed)
    c = seed.client("web")
    api = admin_api(app)
    set_message(api)
    assert api.patch(f"{ORG_API}/policy", {"unconfigured": "sign-in-only"}).status_code == 200
    assert_org_refusal(start(browser, c, MEMBER, f"openid {FILE}"))
    browser.http.cookies.clear()
    code, _ = get_code(browser, c, MEMBER, "openid email profile")
    assert code


def test_limited_app_gets_sign_in_and_non_sensitive_scopes_only(seed, app, browser):  # AUTH0-5
    people(seed)
    c = seed.client("web")
    api = admin_api(app)
    set_message(api)
    assert api.put(f"{ORG_API}/apps/{c.client_id}/access", {"access": "limited"}).status_code == 200
    assert_org_refusal(start(browser, c, MEMBER, f"openid {CAL}"))
    browser.http.cookies.clear()
    code, _ = get_code(browser, c, MEMBER, f"openid {FILE}", consent=[FILE])
    assert code


def test_restricted_api_is_reached_by_trusted_apps_only(seed, app, browser):  # AUTH0-5
    people(seed)
    other, trusted = seed.client("web"), seed.client("web")
    api = admin_api(app)
    set_message(api)
    r = api.patch(f"{ORG_API}/policy", {"restricted_apis": ["mail"]})
    assert r.status_code == 200 and r.json()["values"] == {"restricted_apis": ["mail"]}
    assert api.put(f"{ORG_API}/apps/{trusted.client_id}/access", {"access": "trusted"}).status_code == 200
    assert_org_refusal(start(browser, other, MEMBER, f"openid {MAIL}"))
    # The other APIs stay open to the same app.
    assert reaches_consent(start(browser, other, MEMBER, f"openid {CAL}"))
    browser.http.cookies.clear()
    code, _ = get_code(browser, trusted, MEMBER, f"openid {MAIL}", consent=[MAIL])
    assert code


def test_installed_app_skips_the_unverified_screen_in_its_organization_only(seed, app, browser):  # VERIFY-10
    people(seed)
    c = seed.client("web", verified=False)
    set_project(seed, c, declared_scopes=[CAL])
    first = start(browser, c, MEMBER, f"openid {CAL}")
    assert first.status_code == 200 and 'name="screen" value="unverified"' in first.text
    r = admin_api(app).put(f"{ORG_API}/apps/{c.client_id}/installation", {"installed": True})
    assert r.status_code == 200
    assert r.json()["values"] == {"project_id": project_id(seed, c), "installed": True, "access": "trusted"}
    assert reaches_consent(start(browser, c, MEMBER, f"openid {CAL}"))
    browser.http.cookies.clear()
    outside = start(browser, c, OUTSIDER, f"openid {CAL}")
    assert 'name="screen" value="unverified"' in outside.text


def test_internal_apps_need_approval_when_the_admins_say_so(seed, app, browser):  # VERIFY-10 AUTH0-5
    people(seed)
    c = seed.client("web", owner=ADMIN, user_type="internal", verified=False)
    set_project(seed, c, declared_scopes=[CAL])
    # Internal: no verification screen for the organization's own members.
    assert reaches_consent(start(browser, c, MEMBER, f"openid {CAL}"))
    api = admin_api(app)
    set_message(api)
    assert api.patch(f"{ORG_API}/policy", {"internal_approval": True}).status_code == 200
    assert_org_refusal(start(browser, c, MEMBER, f"openid {CAL}"))
    # Trusting the app approves it for everyone.
    assert api.put(f"{ORG_API}/apps/{c.client_id}/access", {"access": "trusted"}).status_code == 200
    assert reaches_consent(start(browser, c, MEMBER, f"openid {CAL}"))


def test_refusal_on_the_device_page_offers_to_ask(seed, app, client, browser):  # AUTH0-5
    people(seed)
    c = seed.client("device")
    api = admin_api(app)
    set_message(api)
    api.put(f"{ORG_API}/apps/{c.client_id}/access", {"access": "blocked"})
    d = client.post("/device/code", data={"client_id": c.client_id, "scope": "openid email"}).json()
    page = browser.follow(browser.get(f"{ISSUER}/device?user_code={d['user_code']}"))
    if 'action="/signin"' in page.text:
        page = browser.sign_in(page, MEMBER, PASSWORD)
    csrf = form_value(page.text, CSRF_RE)
    page = browser.http.post(
        ISSUER + "/device", data={"csrf": csrf, "user_code": d["user_code"], "step": "lookup"}
    )
    assert_org_refusal(page)
    polled = client.post(
        "/token", data={"grant_type": DEVICE_GRANT, "device_code": d["device_code"], "client_id": c.client_id}
    )
    assert polled.json()["error"] == "admin_policy_enforced"


def test_policy_answers_what_is_set(seed, app):  # AUTH0-5
    people(seed)
    api = admin_api(app)
    before = api.get(f"{ORG_API}/policy").json()
    assert before == {
        "domain": ORG,
        "unconfigured": "allow",
        "restricted_apis": [],
        "refusal_message": "",
        "internal_approval": False,
        "policy_version": before["policy_version"],
    }
    api.patch(f"{ORG_API}/policy", {"restricted_apis": ["calendar", "mail"], "refusal_message": MESSAGE})
    after = api.get(f"{ORG_API}/policy").json()
    # Kept in the catalogue's order of APIs; every change moves the version on.
    assert after["restricted_apis"] == ["mail", "calendar"] and after["refusal_message"] == MESSAGE
    assert after["policy_version"] > before["policy_version"]
