"""Device authorization grant, RFC 8628 (AUTH2-4)."""

from __future__ import annotations

import re
from urllib.parse import urlencode

from sqlalchemy import select

from consentry.storage.tables import DeviceCode
from tests.conftest import ISSUER
from tests.support.browserless import CSRF_RE, DISCLOSURE_RE, form_value
from tests.support.flows import PASSWORD

GRANT = "urn:ietf:params:oauth:grant-type:device_code"
CAL = f"{ISSUER}/auth/calendar.readonly"


def _start(client, c, scope=f"openid {CAL}"):
    r = client.post("/device/code", data={"client_id": c.client_id, "scope": scope})
    assert r.status_code == 200, r.text
    return r.json()


def _poll(client, c, device_code):
    return client.post(
        "/token", data={"grant_type": GRANT, "device_code": device_code, "client_id": c.client_id}
    )


def _approve(browser, user_code: str, scopes: list[str], allow: bool = True):
    page = browser.follow(browser.get(f"{ISSUER}/device?user_code={user_code}"))
    if 'action="/signin"' in page.text:
        page = browser.sign_in(page, "tv@example.org", PASSWORD)
    assert user_code in page.text
    csrf = form_value(page.text, CSRF_RE)
    review = browser.http.post(
        ISSUER + "/device",
        data={"csrf": csrf, "user_code": user_code.lower().replace("-", " "), "step": "lookup"},
    )
    assert review.status_code == 200 and "wants to access your account" in review.text
    data = [
        ("csrf", csrf),
        ("user_code", user_code),
        ("disclosure", form_value(review.text, DISCLOSURE_RE)),
        ("step", "decide"),
        ("action", "allow" if allow else "deny"),
    ]
    data += [("scope", s) for s in scopes]
    return browser.http.post(
        ISSUER + "/device",
        content=urlencode(data),
        headers={"content-type": "application/x-www-form-urlencoded"},
    )


def test_device_flow_pending_then_tokens(seed, client, browser):  # AUTH2-4
    c = seed.client("device")
    seed.user("tv@example.org")
    d = _start(client, c)
    assert d["verification_uri"] == ISSUER + "/device" and re.fullmatch(r"[A-Z]{4}-[A-Z]{4}", d["user_code"])
    assert d["interval"] == 5 and d["expires_in"] == 1800
    assert _poll(client, c, d["device_code"]).json()["error"] == "authorization_pending"
    assert _poll(client, c, d["device_code"]).json()["error"] == "slow_down"
    done = _approve(browser, d["user_code"], [CAL])
    assert "Device connected" in done.text
    tok = _poll(client, c, d["device_code"])
    assert tok.status_code == 200, tok.text
    assert set(tok.json()["scope"].split()) == {"openid", CAL} and "refresh_token" in tok.json()
    again = _poll(client, c, d["device_code"])
    assert again.json()["error"] == "invalid_grant"


def test_device_flow_denied_and_expired(seed, client, browser):  # AUTH2-4
    c = seed.client("device")
    seed.user("tv@example.org")
    d = _start(client, c)
    _approve(browser, d["user_code"], [], allow=False)
    assert _poll(client, c, d["device_code"]).json()["error"] == "access_denied"
    d2 = _start(client, c)
    with seed.db.unit_of_work() as s:
        for row in s.scalars(select(DeviceCode)):
            row.expires_at = 0
    assert _poll(client, c, d2["device_code"]).json()["error"] == "expired_token"


def test_device_code_bound_to_its_client(seed, client):  # AUTH2-4
    c = seed.client("device")
    other = seed.client("device")
    d = _start(client, c)
    r = _poll(client, other, d["device_code"])
    assert r.status_code in (400, 401) and r.json()["error"] == "unauthorized_client"


def test_wrong_user_code_is_reported(seed, client, browser):
    seed.client("device")
    seed.user("tv@example.org")
    page = browser.follow(browser.get(f"{ISSUER}/device"))
    page = browser.sign_in(page, "tv@example.org", PASSWORD)
    csrf = form_value(page.text, CSRF_RE)
    r = browser.http.post(ISSUER + "/device", data={"csrf": csrf, "user_code": "ZZZZ-ZZZZ", "step": "lookup"})
    assert r.status_code == 400 and "wrong or has expired" in r.text
