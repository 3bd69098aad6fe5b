"""RFC 6819 §5.1.5.1 Limit Token Scope: no way to get more than the user granted.

A client (or whoever holds its refresh token) tries to widen its access: a refresh with a wider
scope, an authorization request with ``prompt=none`` for a scope never granted,
``include_granted_scopes`` to sweep in scopes that were never ticked. Each is refused or ignored,
and a refused request changes nothing.
"""

from __future__ import annotations

from starlette.testclient import TestClient

from tests.security.support import (
    CAL,
    MAIL,
    SEND,
    USER,
    db_state,
    introspect,
    redirect_params,
    refresh,
    single,
)
from tests.support.browserless import Browser, pkce_pair
from tests.support.flows import auth_params, exchange, get_code
from tests.support.seed import Seeder

#: Any client_assertion field takes the refresh off the token lane onto the FastAPI route.
ROUTE = {"client_assertion": ""}  # empty: no second authentication method beside Basic


# SEC-7 OWASP A01:2021 Broken Access Control: CWE-285: no request gets a token for more than the user granted.
def test_5_1_5_1_scope_cannot_be_widened(seed: Seeder, browser: Browser, client: TestClient) -> None:
    """RFC 6749 §6, RFC 6819 §5.1.5.1 and §4.2.2: the user ticks only mail of mail+calendar, so the
    token has only mail. A refresh naming a wider scope is ``invalid_scope`` on both paths of the
    token endpoint and changes nothing; the honest refresh keeps the granted scope (a narrower one
    is allowed). Asking again silently (``prompt=none``) for the unticked scope is
    ``consent_required``; ``include_granted_scopes`` adds only what was granted."""
    c = seed.client("web")
    seed.user(USER)
    code, code_verifier = get_code(
        browser, c, USER, f"openid {MAIL} {CAL}", consent=[MAIL], access_type="offline"
    )
    issued = exchange(client, c, code, code_verifier)
    assert issued.status_code == 200, issued.text
    tokens = issued.json()
    assert set(tokens["scope"].split()) == {"openid", MAIL}, tokens["scope"]
    assert set(introspect(client, c, tokens["access_token"])["scope"].split()) == {"openid", MAIL}
    before = db_state(seed.db)
    for extra in ({}, ROUTE):
        for wider in (f"openid {MAIL} {SEND}", CAL, f"{MAIL} https://nope.example/auth/x"):
            r = refresh(client, c, tokens["refresh_token"], scope=wider, **extra)
            assert r.status_code == 400 and r.json()["error"] == "invalid_scope", (wider, extra, r.text)
    assert db_state(seed.db) == before
    narrow = refresh(client, c, tokens["refresh_token"], scope=MAIL)
    assert narrow.status_code == 200 and narrow.json()["scope"] == MAIL, narrow.text
    again = refresh(client, c, narrow.json()["refresh_token"])
    assert again.status_code == 200, again.text
    assert set(again.json()["scope"].split()) <= {"openid", MAIL}, again.json()["scope"]

    verifier, challenge = pkce_pair()
    silent = browser.authorize(auth_params(c, challenge, f"openid {CAL}", prompt="none"))
    q = redirect_params(silent)
    assert single(q, "error") == "consent_required" and "code" not in q
    union = browser.authorize(
        auth_params(c, challenge, "openid", prompt="none", include_granted_scopes="true")
    )
    t = exchange(client, c, single(redirect_params(union), "code"), verifier)
    assert t.status_code == 200 and set(t.json()["scope"].split()) == {"openid", MAIL}, t.text
