"""The device verification page in a real Chromium, then the device's polling (AUTH2-4, RFC 8628)."""

from __future__ import annotations

import httpx
import pytest

from tests.browser.helpers import path_of, scope_uri, sign_in

pytestmark = [pytest.mark.browser, pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)]

DEVICE_GRANT = "urn:ietf:params:oauth:grant-type:device_code"


def test_device_flow_through_the_verification_page(live_server, page) -> None:  # AUTH2-4
    """AUTH2-4: /device/code -> verification_uri_complete -> sign in -> code prefilled -> consent -> tokens."""
    from playwright.sync_api import expect  # imported here: the chromium fixture reports a missing Playwright

    server, seeder = live_server
    device = seeder.client("device", name="Living Room TV")
    seeder.user("dana@example.org")
    cal, mail = scope_uri(server.url, "calendar.readonly"), scope_uri(server.url, "mail.readonly")

    # The device (a public client) asks for codes with only its client_id.
    r = httpx.post(
        server.url + "/device/code",
        data={"client_id": device.client_id, "scope": f"openid email {cal} {mail}"},
        timeout=10,
    )
    assert r.status_code == 200, r.text
    codes = r.json()
    assert codes["verification_uri"] == server.url + "/device"
    assert codes["verification_uri_complete"].startswith(codes["verification_uri"] + "?user_code=")

    def poll() -> httpx.Response:
        return httpx.post(
            server.url + "/token",
            data={
                "grant_type": DEVICE_GRANT,
                "device_code": codes["device_code"],
                "client_id": device.client_id,
            },
            timeout=10,
        )

    pending = poll()
    assert pending.status_code == 400 and pending.json()["error"] == "authorization_pending"

    # The person opens the link the device shows, signs in, and lands on the code form, prefilled.
    page.goto(codes["verification_uri_complete"])
    assert path_of(page.url) == "/signin"
    sign_in(page, "dana@example.org")
    assert path_of(page.url) == "/device"
    assert page.locator("h1").inner_text() == "Connect a device"
    assert page.get_by_label("Code").input_value() == codes["user_code"]
    page.get_by_role("button", name="Next").click()

    # Consent for the device's client: named, data scopes unticked; tick only the calendar.
    assert page.locator(".app-name").inner_text() == "Living Room TV"
    boxes = page.locator('input[type="checkbox"][name="scope"]')
    assert sorted(boxes.evaluate_all("els => els.map(e => e.value + ':' + e.checked)")) == sorted(
        [f"{cal}:false", f"{mail}:false"]
    )
    page.get_by_label("See and download any calendar you can access").check()
    page.get_by_role("button", name="Allow").click()
    expect(page.locator("h1")).to_have_text("Device connected")
    assert "Living Room TV" in page.locator("main").inner_text()

    # The device's next poll gets tokens, with only what was ticked.
    tok = poll()
    assert tok.status_code == 200, tok.text
    body = tok.json()
    assert body["access_token"] and body["token_type"].lower() == "bearer"
    assert set(body["scope"].split()) == {"openid", "email", cal}
    # The code is single-use.
    again = poll()
    assert again.status_code == 400 and again.json()["error"] == "invalid_grant"
