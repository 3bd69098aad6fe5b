"""/device goes through the same gate and screens as /authorize (VERIFY-10, VERIFY-11, CONSENT-8)."""

from __future__ import annotations

from urllib.parse import urlencode

from tests.conftest import ISSUER
from tests.integration.policy.helpers import project_row, receipts, set_project
from tests.support.browserless import CSRF_RE, DISCLOSURE_RE, SCREEN_RE, form_value
from tests.support.flows import PASSWORD

CAL = f"{ISSUER}/auth/calendar.readonly"
GRANT = "urn:ietf:params:oauth:grant-type:device_code"


def _start(client, c):
    return client.post("/device/code", data={"client_id": c.client_id, "scope": f"openid {CAL}"}).json()


def _poll(client, c, device_code):
    return client.post(
        "/token", data={"grant_type": GRANT, "device_code": device_code, "client_id": c.client_id}
    )


def _lookup(browser, email, user_code):
    page = browser.follow(browser.get(f"{ISSUER}/device?user_code={user_code}"))
    if 'action="/signin"' in page.text:
        page = browser.sign_in(page, email, PASSWORD)
    csrf = form_value(page.text, CSRF_RE)
    return browser.http.post(
        ISSUER + "/device", data={"csrf": csrf, "user_code": user_code, "step": "lookup"}
    )


def _post(browser, page, **fields):
    data = [("csrf", form_value(page.text, CSRF_RE)), *fields.pop("pairs", []), *fields.items()]
    return browser.http.post(
        ISSUER + "/device",
        content=urlencode(data),
        headers={"content-type": "application/x-www-form-urlencoded"},
    )


def test_device_outsider_of_an_internal_app_gets_org_internal(seed, client, browser):  # VERIFY-10
    seed.user("boss@corp.example", org="corp.example")
    c = seed.client("device", owner="boss@corp.example", user_type="internal")
    seed.user("tv@example.org")
    d = _start(client, c)
    page = _lookup(browser, "tv@example.org", d["user_code"])
    assert page.status_code == 403 and "org_internal" in page.text
    r = _poll(client, c, d["device_code"])
    assert r.status_code == 403 and r.json()["error"] == "org_internal"  # the device flow's status


def test_device_unverified_screen_counts_the_user_then_consent(seed, client, browser):  # VERIFY-11 CONSENT-8
    c = seed.client("device", verified=False)
    pid = set_project(seed, c, declared_scopes=[CAL])
    seed.user("tv@example.org")
    d = _start(client, c)
    page = _lookup(browser, "tv@example.org", d["user_code"])
    assert page.status_code == 200 and form_value(page.text, SCREEN_RE) == "unverified"
    # Forging "passed" skips nothing: only the server's count does.
    forged = _post(
        browser, page, user_code=d["user_code"], step="decide", passed="unverified", action="allow"
    )
    assert form_value(forged.text, SCREEN_RE) == "unverified"
    consent = _post(
        browser, page, user_code=d["user_code"], step="screen", screen="unverified", action="continue"
    )
    assert consent.status_code == 200 and 'name="passed" value="unverified"' in consent.text
    assert project_row(seed, pid)["unverified_users"] == 1
    done = _post(
        browser,
        consent,
        user_code=d["user_code"],
        step="decide",
        disclosure=form_value(consent.text, DISCLOSURE_RE),
        action="allow",
        pairs=[("scope", CAL), ("passed", "unverified")],
    )
    assert "Device connected" in done.text, done.text[:800]
    assert set(_poll(client, c, d["device_code"]).json()["scope"].split()) == {"openid", CAL}
    [receipt] = receipts(seed)
    assert receipt.protocol == "device" and receipt.granted == ["openid", CAL]


def test_device_back_on_a_screen_denies_the_code(seed, client, browser):  # CONSENT-6
    c = seed.client("device", status="testing", test_users=["tv@example.org"])
    seed.user("tv@example.org")
    d = _start(client, c)
    page = _lookup(browser, "tv@example.org", d["user_code"])
    assert form_value(page.text, SCREEN_RE) == "testing"
    back = _post(browser, page, user_code=d["user_code"], step="screen", screen="testing", action="back")
    assert "Access denied" in back.text
    assert _poll(client, c, d["device_code"]).json()["error"] == "access_denied"
