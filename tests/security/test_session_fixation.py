"""Session fixation (OWASP ASVS V3.2.1, CWE-384; RFC 6819 §4.4.1.6 names the session as what an
attacker impersonates).

An attacker who plants a session cookie in the victim's browser before sign-in must not share the
victim's session afterwards: signing in issues a new session id, and the old one is worth nothing.
"""

from __future__ import annotations

from typing import Any

from starlette.testclient import TestClient

from tests.conftest import ISSUER
from tests.security.support import USER
from tests.support.browserless import CSRF_RE, form_value
from tests.support.flows import PASSWORD
from tests.support.seed import Seeder

COOKIE = "consentry_sid"


# SEC-7 OWASP A07:2021 Identification and Authentication Failures: CWE-384: signing in replaces the session
#   id; a planted one is worthless.
def test_session_fixation_sign_in_replaces_the_session_cookie(
    seed: Seeder, client: TestClient, app: Any
) -> None:
    """CWE-384: the cookie the attacker knows (issued by the server to the attacker, or made up) is
    replaced at sign-in by a new one, and with the old value /account asks for sign-in again."""
    seed.user(USER)
    attacker = TestClient(app, base_url=ISSUER)
    attacker.get("/signin")
    for planted in (attacker.cookies[COOKIE], "x" * 40):
        client.cookies.clear()
        client.cookies.set(COOKIE, planted)
        page = client.get("/signin")
        assert page.status_code == 200
        r = client.post(
            "/signin",
            data={
                "csrf": form_value(page.text, CSRF_RE),
                "flow": "",
                "email": USER,
                "password": PASSWORD,
                "next": "",
            },
            follow_redirects=False,
        )
        assert r.status_code == 303 and r.headers["location"] == "/account", r.text[:300]
        fresh = r.cookies.get(COOKIE)
        assert fresh and fresh != planted and len(fresh) >= 20, (planted, fresh)
        assert (
            "httponly" in r.headers["set-cookie"].lower()
            and "samesite=lax" in r.headers["set-cookie"].lower()
        )
        # The victim is signed in under the new id...
        client.cookies.clear()
        client.cookies.set(COOKIE, fresh)
        assert client.get("/account", follow_redirects=False).status_code == 200
        # ...and the planted one gets nobody.
        attacker.cookies.clear()
        attacker.cookies.set(COOKIE, planted)
        stale = attacker.get("/account", follow_redirects=False)
        assert stale.status_code == 303 and stale.headers["location"].startswith("/signin"), stale.status_code
