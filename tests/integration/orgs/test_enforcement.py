"""An admin's change reaches what was issued before it (issue 14, AUTH0-5): the members' tokens
and grants the new rules refuse are revoked in the same transaction, so the app's next /token or
data call fails; what the rules still allow, and other people's tokens, are left alone.
"""

from __future__ import annotations

from tests.integration.orgs import (
    CAL,
    FILE,
    MEMBER,
    ORG_API,
    OUTSIDER,
    admin_api,
    audit_tags,
    csrf_of,
    live_tokens,
    people,
    project_id,
)
from tests.integration.policy.helpers import grants
from tests.support.flows import tokens_for


def _refresh(client, c, refresh_token):
    return client.post(
        "/token",
        data={"grant_type": "refresh_token", "refresh_token": refresh_token},
        auth=(c.client_id, c.client_secret),
    )


def test_blocking_revokes_a_members_refresh_token(seed, app, browser, client):  # AUTH0-5
    people(seed)
    c = seed.client("web")
    member = tokens_for(browser, client, c, MEMBER, f"openid {CAL}", access_type="offline")
    browser.http.cookies.clear()
    outsider = tokens_for(browser, client, c, OUTSIDER, f"openid {CAL}", access_type="offline")
    assert live_tokens(seed, c) == 2
    r = admin_api(app).put(f"{ORG_API}/apps/{c.client_id}/access", {"access": "blocked"})
    assert r.status_code == 200
    assert r.json()["revoked_access"] == 1 and r.json()["revoked_tokens"] == 1
    refused = _refresh(client, c, member["refresh_token"])
    assert refused.status_code == 400 and refused.json()["error"] == "invalid_grant"
    # The access token stops working too, and the member's grant is gone.
    assert (
        client.get("/userinfo", headers={"Authorization": f"Bearer {member['access_token']}"}).status_code
        == 401
    )
    assert len(grants(seed)) == 1  # the outsider's
    # The outsider is not the organization's to govern.
    assert _refresh(client, c, outsider["refresh_token"]).status_code == 200
    [event] = [e for e in audit_tags(seed) if e[0] == "org:app:access"]
    assert (
        event[2]["access"] == "blocked" and event[2]["revoked_tokens"] == 1 and event[2]["channel"] == "api"
    )


def test_limiting_revokes_sensitive_access_and_keeps_basic_access(seed, app, browser, client):  # AUTH0-5
    people(seed)
    risky, basic = seed.client("web"), seed.client("web", project="Basic app")
    sensitive = tokens_for(browser, client, risky, MEMBER, f"openid {CAL}", access_type="offline")
    plain = tokens_for(browser, client, basic, MEMBER, f"openid {FILE}", access_type="offline")
    api = admin_api(app)
    assert (
        api.put(f"{ORG_API}/apps/{risky.client_id}/access", {"access": "limited"}).json()["revoked_tokens"]
        == 1
    )
    assert (
        api.put(f"{ORG_API}/apps/{basic.client_id}/access", {"access": "limited"}).json()["revoked_tokens"]
        == 0
    )
    assert _refresh(client, risky, sensitive["refresh_token"]).json()["error"] == "invalid_grant"
    assert _refresh(client, basic, plain["refresh_token"]).status_code == 200


def test_a_policy_change_through_the_page_takes_effect_on_tokens(seed, app, browser, client):  # AUTH0-5
    people(seed)
    c = seed.client("web")
    member = tokens_for(browser, client, c, MEMBER, f"openid {CAL}", access_type="offline")
    page = admin_api(app).http
    csrf = csrf_of(page, "/admin/policy")
    r = page.post("/admin/policy", data={"csrf": csrf, "unconfigured": "block"}, follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/admin/policy?done=policy"
    assert _refresh(client, c, member["refresh_token"]).json()["error"] == "invalid_grant"
    assert live_tokens(seed, c) == 0


def test_uninstalling_keeps_the_app_trusted_and_its_tokens(seed, app, browser, client):  # VERIFY-10
    people(seed)
    c = seed.client("web")
    api = admin_api(app)
    api.put(f"{ORG_API}/apps/{c.client_id}/installation", {"installed": True})
    member = tokens_for(browser, client, c, MEMBER, f"openid {CAL}", access_type="offline")
    r = api.put(f"{ORG_API}/apps/{c.client_id}/installation", {"installed": False})
    assert r.json()["values"]["access"] == "trusted" and r.json()["revoked_tokens"] == 0
    assert _refresh(client, c, member["refresh_token"]).status_code == 200
    listed = {a["project_id"]: a for a in api.get(f"{ORG_API}/apps").json()["apps"]}
    assert listed[project_id(seed, c)]["installed"] is False
