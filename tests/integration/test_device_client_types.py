"""ISSUE-9.10: only device clients get device codes, and the /device page approves no other client's code.

A code handed to a web, installed or service client could be shown to a user and approved, though the
client could never exchange it: at best useless, at worst a phishing lure. The client type decides
(protocol/oauth2/models.py ``may_use_grant``), at the start of the flow, not at the exchange.
"""

from __future__ import annotations

from sqlalchemy import func, select

from consentry.domain.tokens import device
from consentry.storage.tables import DeviceCode
from tests.conftest import ISSUER
from tests.support.browserless import CSRF_RE, form_value
from tests.support.flows import PASSWORD

CAL = f"{ISSUER}/auth/calendar.readonly"


def _device_codes(seed) -> int:
    with seed.db.unit_of_work() as s:
        return int(s.scalar(select(func.count()).select_from(DeviceCode)) or 0)


def test_only_device_clients_get_device_codes(seed, client):  # ISSUE-9.10 RFC 8628 3.1, RFC 6749 5.2
    for client_type in ("web", "installed", "service"):
        c = seed.client(client_type)
        auth = (c.client_id, c.client_secret) if c.client_secret else None
        data = {"scope": f"openid {CAL}"} | ({} if auth else {"client_id": c.client_id})
        r = client.post("/device/code", data=data, auth=auth)
        assert r.status_code == 400, (client_type, r.text)
        assert r.json() == {
            "error": "unauthorized_client",
            "error_description": f"A {client_type} client may not use the device flow; "
            "create a client of type 'device'.",
        }
    assert _device_codes(seed) == 0  # refused before any code existed
    ok = client.post("/device/code", data={"client_id": seed.client("device").client_id, "scope": "openid"})
    assert ok.status_code == 200 and ok.json()["verification_uri"] == ISSUER + "/device"
    assert _device_codes(seed) == 1


def test_device_page_refuses_a_code_of_a_client_that_may_not_use_the_grant(seed, browser):  # ISSUE-9.10
    web = seed.client("web")
    seed.user("tv@example.org")
    with seed.db.unit_of_work() as s:  # a code from before the endpoint refused such clients
        s.add(DeviceCode(**device.row(
            seed.hasher, device_code="dc-web", user_code="BCDF-GHJK", client_pk=web.pk,
            scope=f"openid {CAL}", ttl=600, interval=5,
        )))  # fmt: skip
    page = browser.follow(browser.get(f"{ISSUER}/device?user_code=BCDF-GHJK"))
    page = browser.sign_in(page, "tv@example.org", PASSWORD)
    csrf = form_value(page.text, CSRF_RE)
    for step in ("lookup", "decide"):
        data = {"csrf": csrf, "user_code": "BCDF-GHJK", "step": step, "action": "allow", "scope": CAL}
        r = browser.http.post(ISSUER + "/device", data=data)
        assert r.status_code == 400, step
        assert "This app cannot use device sign-in. Nothing was shared." in r.text
        assert "wants to access your account" not in r.text
    with seed.db.unit_of_work() as s:
        row = s.scalar(select(DeviceCode))
        assert row is not None and row.status == "pending" and row.user_id is None
