"""SQL injection (RFC 6819 §5.1.4.1.2 Enforce Standard SQL Injection Countermeasures, CWE-89).

Every value that reaches a query goes through bound parameters (SQLAlchemy). Classic payloads in
each protocol parameter that is looked up in the database get the ordinary "not found" answer, and
the database is untouched afterwards — on SQLite and PostgreSQL.
"""

from __future__ import annotations

from urllib.parse import urlencode

from starlette.testclient import TestClient

from tests.conftest import ISSUER
from tests.security.support import USER, db_state, error_page_problem
from tests.support.browserless import CSRF_RE, Browser, form_value
from tests.support.flows import PASSWORD
from tests.support.seed import Seeder

PAYLOADS = [
    "' OR '1'='1",
    "' OR 1=1 --",
    "x'; DROP TABLE tokens; --",
    "1 UNION SELECT client_id, secret_hash FROM clients --",
    '" OR ""="',
    "%' OR '%'='",
    "\\'; SELECT pg_sleep(0); --",
]


# SEC-7 OWASP A03:2021 Injection: CWE-89: SQL payloads in every looked-up parameter find nothing, change
#   nothing.
def test_5_1_4_1_2_injection_payloads_find_nothing_and_change_nothing(
    seed: Seeder, browser: Browser, client: TestClient
) -> None:
    """RFC 6819 §5.1.4.1.2: as client_id (/authorize, /token, /device/code), as a code, refresh
    token or token (/token, /introspect, /revoke), as a bearer token (/userinfo, data API), as the
    email on sign-in, as a device user code and as a data API id: the ordinary refusal each time,
    and the same rows before and after."""
    web = seed.client("web")
    svc = seed.client("service")
    seed.user(USER)
    page = browser.follow(browser.get(ISSUER + "/signin?next=/device"))
    browser.sign_in(page, USER, PASSWORD)
    device_page = browser.get(ISSUER + "/device")
    csrf = form_value(device_page.text, CSRF_RE)
    before = db_state(seed.db)
    auth = (svc.client_id, svc.client_secret)
    for p in PAYLOADS:
        r = browser.get(
            ISSUER + "/authorize?" + urlencode({"response_type": "code", "client_id": p, "scope": "openid"})
        )
        assert error_page_problem(r, "invalid_client") is None, (p, r.status_code)
        r = client.post(
            "/token", data={"grant_type": "client_credentials", "client_id": p, "client_secret": p}
        )
        assert r.status_code in (400, 401) and r.json()["error"] == "invalid_client", (p, r.text)
        r = client.post(
            "/token",
            data={"grant_type": "authorization_code", "code": p, "redirect_uri": web.redirect_uris[0]},
            auth=(web.client_id, web.client_secret),
        )
        assert r.status_code == 400 and r.json()["error"] == "invalid_grant", (p, r.text)
        r = client.post(
            "/token",
            data={"grant_type": "refresh_token", "refresh_token": p},
            auth=(web.client_id, web.client_secret),
        )
        assert r.status_code == 400 and r.json()["error"] == "invalid_grant", (p, r.text)
        r = client.post("/introspect", data={"token": p}, auth=auth)
        assert r.status_code == 200 and r.json() == {"active": False}, (p, r.text)
        r = client.post("/revoke", data={"token": p}, auth=auth)
        assert r.status_code == 200, (p, r.text)
        r = client.post("/device/code", data={"client_id": p, "scope": "openid"})
        assert r.status_code in (400, 401) and r.json()["error"] == "invalid_client", (p, r.text)
        r = client.get("/userinfo", headers={"Authorization": f"Bearer {p}"})
        assert r.status_code == 401, (p, r.text)
        r = client.get(
            "/data/v1/mail/messages/" + p.replace("/", ""), headers={"Authorization": f"Bearer {p}"}
        )
        assert r.status_code == 401, (p, r.text)
        r = browser.http.post(ISSUER + "/device", data={"csrf": csrf, "user_code": p, "step": "lookup"})
        assert r.status_code == 400 and "wrong or has expired" in r.text, (p, r.status_code)
    for p in PAYLOADS[:3]:
        signin = client.get("/signin")
        r = client.post(
            "/signin",
            data={
                "csrf": form_value(signin.text, CSRF_RE),
                "flow": "",
                "email": p,
                "password": p,
                "next": "",
            },
        )
        assert r.status_code == 401 and "Wrong email or password." in r.text, (p, r.status_code)
    assert db_state(seed.db) == before
