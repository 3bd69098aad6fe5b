"""Token substitution (OpenID Connect Core §16.11, RFC 6819 §5.1.5.8): a token is accepted only as
what it is and only by whom it was issued to.

An ID token is not an access token; a refresh token is not an access token; an access token is not
an ID token; one client cannot introspect or revoke another project's tokens. The server's rule for
introspection (``IntrospectionEndpoint.check_permission``): a client sees the tokens of its own
project, and a registered resource server (``can_introspect``) sees all.
"""

from __future__ import annotations

import httpx
from starlette.testclient import TestClient

from tests.conftest import ISSUER
from tests.security.support import MAIL, USER, db_state, introspect, offline_tokens
from tests.support.browserless import Browser
from tests.support.seed import Seeder


def _userinfo(client: TestClient, token: str) -> httpx.Response:
    return client.get("/userinfo", headers={"Authorization": f"Bearer {token}"})


# SEC-7 OWASP A01:2021 Broken Access Control: CWE-639: another project's client can neither read nor revoke a
#   user's tokens.
def test_16_11_tokens_are_accepted_only_as_what_they_are_and_by_whom_they_were_issued_to(
    seed: Seeder, browser: Browser, client: TestClient
) -> None:
    """OIDC Core §5.3 and §16.11: /userinfo answers the access token (control) and refuses the ID
    token, the refresh token and a tampered token with 401 ``invalid_token``. RFC 7662 §4 and
    RFC 7009 §2.1: client B of another project sees ``{"active": false}`` for A's tokens and its
    revocation is refused (``invalid_grant``, nothing changes); a client of A's project and a
    registered resource server see them active (both branches of the server's rule)."""
    a = seed.client("web", project="Victim Project")
    sibling = seed.client("service", project="Victim Project")
    stranger = seed.client("web", project="Stranger Project")
    resource_server = seed.client("service", project="Resource Server", can_introspect=True)
    sub = seed.user(USER)
    tokens = offline_tokens(browser, client, a, scope=f"openid email {MAIL}")

    ok = _userinfo(client, tokens["access_token"])
    assert ok.status_code == 200 and ok.json()["sub"] == sub
    tampered = tokens["access_token"][:-1] + ("A" if tokens["access_token"][-1] != "A" else "B")
    for name in ("id_token", "refresh_token", "tampered"):
        token = tampered if name == "tampered" else tokens[name]
        r = _userinfo(client, token)
        assert r.status_code == 401, (name, r.status_code, r.text)
        assert (
            r.json()["error"] == "invalid_token" and 'error="invalid_token"' in r.headers["www-authenticate"]
        ), name

    for token in (tokens["access_token"], tokens["refresh_token"]):
        assert introspect(client, stranger, token) == {"active": False}
        assert introspect(client, sibling, token)["active"] is True
        seen = introspect(client, resource_server, token)
        assert seen["active"] is True and seen["client_id"] == a.client_id and seen["iss"] == ISSUER
    before = db_state(seed.db)
    for token in (tokens["access_token"], tokens["refresh_token"]):
        r = client.post("/revoke", data={"token": token}, auth=(stranger.client_id, stranger.client_secret))
        assert r.status_code == 400 and r.json()["error"] == "invalid_grant", r.text
    assert db_state(seed.db) == before
    assert introspect(client, a, tokens["access_token"])["active"] is True


def test_16_11_tokeninfo_checks_each_token_as_what_it_claims_to_be(
    seed: Seeder, browser: Browser, client: TestClient
) -> None:
    """Issue 9.9, RFC 9068 §4: a JWT access token (``typ`` ``at+jwt``) sent as ``id_token`` is not
    an ID token, and an ID token sent as ``access_token`` is not an access token: both answer 400
    ``invalid_token``; each sent as what it is answers its claims (control)."""
    c = seed.client("web", access_token_format="jwt")
    sub = seed.user(USER)
    tokens = offline_tokens(browser, client, c, scope=f"openid {MAIL}")
    as_access = client.post("/tokeninfo", data={"access_token": tokens["access_token"]})
    assert as_access.status_code == 200 and as_access.json()["sub"] == sub, as_access.text
    as_id = client.post("/tokeninfo", data={"id_token": tokens["id_token"]})
    assert as_id.status_code == 200 and as_id.json()["aud"] == c.client_id, as_id.text
    for form in ({"id_token": tokens["access_token"]}, {"access_token": tokens["id_token"]}):
        r = client.post("/tokeninfo", data=form)
        assert r.status_code == 400 and r.json()["error"] == "invalid_token", (list(form), r.text)
