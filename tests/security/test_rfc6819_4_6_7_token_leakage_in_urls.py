"""RFC 6819 §4.6.7 Token Leakage via Log Files and HTTP Referrers (and RFC 6750 §2.3, RFC 9700
§4.2-4.3): tokens and client secrets never travel in a URL.

URLs end up in access logs, proxy logs, Referer headers and browser history. The authorization
response carries only the code (§4.2 test); here: no endpoint takes a token or a client secret from
the query string (issue 9.9 for /tokeninfo).
"""

from __future__ import annotations

from starlette.testclient import TestClient

from tests.security.support import MAIL, USER, offline_tokens
from tests.support.browserless import Browser
from tests.support.seed import Seeder


def test_4_6_7_tokeninfo_takes_tokens_only_in_the_body(
    seed: Seeder, browser: Browser, client: TestClient
) -> None:
    """Issue 9.9: ``GET /tokeninfo?access_token=…`` is refused (400 or 405) and so is a POST with
    the token in its query; the same token in a POST body answers 200 (control)."""
    c = seed.client("web")
    seed.user(USER)
    tokens = offline_tokens(browser, client, c, scope=f"openid email {MAIL}")
    for name in ("access_token", "id_token"):
        in_query = client.get("/tokeninfo", params={name: tokens[name]})
        assert in_query.status_code in (400, 405), (name, in_query.status_code, in_query.text)
        if in_query.status_code == 400:
            assert in_query.json()["error"] == "invalid_request", in_query.text
        posted_query = client.post("/tokeninfo", params={name: tokens[name]})
        assert posted_query.status_code == 400 and posted_query.json()["error"] == "invalid_request"
        ok = client.post("/tokeninfo", data={name: tokens[name]})
        assert ok.status_code == 200 and ok.json()["aud"] == c.client_id, (name, ok.text)


# SEC-7 OWASP A04:2021 Insecure Design: CWE-598: no endpoint takes a token or a secret from the query string.
def test_4_6_7_no_endpoint_takes_a_token_or_secret_from_the_query(
    seed: Seeder, browser: Browser, client: TestClient
) -> None:
    """RFC 6750 §2.3 (a bearer token in the URI is not supported here), RFC 6749 §2.3.1 (client
    credentials in the request body or header, never the URI): /userinfo ignores
    ``?access_token=`` (401, no bearer token), the data API refuses it (400 ``invalid_request``,
    RFC 6750 §3.1), and /token, /introspect and /revoke ignore protocol parameters and
    credentials in the query of a POST."""
    c = seed.client("web")
    svc = seed.client("service")
    seed.user(USER)
    tokens = offline_tokens(browser, client, c, scope=f"openid email {MAIL}")
    info = client.get("/userinfo", params={"access_token": tokens["access_token"]})
    assert info.status_code == 401 and info.json()["error"] == "invalid_request", info.text
    data = client.get("/data/v1/mail/messages", params={"access_token": tokens["access_token"]})
    assert data.status_code == 400 and data.json()["error"] == "invalid_request", data.text
    assert "messages" not in data.json()
    creds = {"client_id": svc.client_id, "client_secret": svc.client_secret}
    token = client.post("/token", params={"grant_type": "client_credentials", **creds})
    assert token.status_code in (400, 401) and "access_token" not in token.json(), token.text
    assert token.json()["error"] in ("invalid_request", "unsupported_grant_type", "invalid_client"), (
        token.text
    )
    intro = client.post("/introspect", params={"token": tokens["access_token"], **creds})
    assert intro.status_code in (400, 401) and "active" not in intro.json(), intro.text
    revoke = client.post(
        "/revoke", params={"token": tokens["access_token"]}, auth=(c.client_id, c.client_secret)
    )
    assert revoke.status_code == 400 and revoke.json()["error"] == "invalid_request", revoke.text
    still = client.get("/userinfo", headers={"Authorization": f"Bearer {tokens['access_token']}"})
    assert still.status_code == 200, still.text
