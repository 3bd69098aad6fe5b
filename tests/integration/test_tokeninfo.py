"""ISSUE-9.9: /tokeninfo checks each token as what it claims to be, and keeps tokens out of URLs and logs.

The reference platform (PLATFORM_RULES "Tokeninfo") answers an invalid token with HTTP 400
``{"error":"invalid_token","error_description":"Invalid Value"}``; it also takes tokens in the URL,
which Consentry refuses (RFC 6819 section 4.6.7) without ever printing them in its access log.
"""

from __future__ import annotations

import time
from typing import Any

import httpx
from joserfc import jwt
from sqlalchemy import update

from consentry.storage.tables import Client, User
from tests.conftest import ISSUER
from tests.support.flows import tokens_for
from tests.support.live import start_server

MAIL = f"{ISSUER}/auth/mail.readonly"
INVALID = {"error": "invalid_token", "error_description": "Invalid Value"}
IN_URL = {
    "error": "invalid_request",
    "error_description": "Send the token in the body of a POST request, not in the URL.",
}


def _signed(app: Any, claims: dict[str, Any], typ: str = "JWT") -> str:
    """A JWT signed with the server's own ID-token key: only the claims and typ are wrong."""
    key = app.state.runtime.ctx.keys.signing_key("RS256")
    return jwt.encode({"alg": "RS256", "kid": key.kid, "typ": typ}, claims, key, algorithms=["RS256"])


def _claims(**over: Any) -> dict[str, Any]:
    now = int(time.time())
    return {"iss": ISSUER, "sub": "s1", "aud": "some-client", "iat": now, "exp": now + 600, **over}


def _revoke(client: Any, c: Any, token: str) -> None:
    r = client.post("/revoke", data={"token": token}, auth=(c.client_id, c.client_secret))
    assert r.status_code == 200, r.text


def test_jwt_access_token_is_not_an_id_token(seed, browser, client):  # ISSUE-9.9 typ at+jwt != ID token
    c = seed.client("web", access_token_format="jwt")
    seed.user("u@example.org")
    t = tokens_for(browser, client, c, "u@example.org", f"openid {MAIL}")
    r = client.post("/tokeninfo", data={"id_token": t["access_token"]})
    assert r.status_code == 400 and r.json() == INVALID
    _revoke(client, c, t["access_token"])
    for data in ({"id_token": t["access_token"]}, {"access_token": t["access_token"]}):
        r = client.post("/tokeninfo", data=data)
        assert r.status_code == 400 and r.json() == INVALID, data  # revoked: refused either way


def test_id_token_must_be_ours_addressed_and_current(app, client):  # ISSUE-9.9 iss, aud, exp, typ
    good = client.post("/tokeninfo", data={"id_token": _signed(app, _claims())})
    assert good.status_code == 200 and good.json()["aud"] == "some-client"
    assert good.headers["cache-control"] == "no-store"  # a token's claims are never cached
    claims = _claims()
    del claims["aud"]
    bad = {
        "no aud": _signed(app, claims),
        "aud is the issuer": _signed(app, _claims(aud=ISSUER)),
        "expired": _signed(app, _claims(exp=int(time.time()) - 5)),
        "another issuer": _signed(app, _claims(iss="https://evil.example")),
        "typ at+jwt": _signed(app, _claims(), typ="at+jwt"),
        "not a JWT": "cs2.not-a-jwt",
    }
    for why, token in bad.items():
        r = client.post("/tokeninfo", data={"id_token": token})
        assert r.status_code == 400 and r.json() == INVALID, why


def test_tokens_only_in_a_post_body(seed, browser, client):  # ISSUE-9.9 RFC 6819 4.6.7 no tokens in URLs
    c = seed.client("web")
    seed.user("u@example.org")
    t = tokens_for(browser, client, c, "u@example.org", f"openid email {MAIL}")
    for name in ("access_token", "id_token"):
        for r in (
            client.get("/tokeninfo", params={name: t[name]}),
            client.post("/tokeninfo", params={name: t[name]}),
            client.post("/tokeninfo", params={name: t[name]}, data={name: t[name]}),
        ):
            assert r.status_code == 400 and r.json() == IN_URL, (name, r.request.method)
            assert r.headers["cache-control"] == "no-store"
    ok = client.post("/tokeninfo", data={"access_token": t["access_token"]})
    assert ok.status_code == 200 and ok.json()["aud"] == c.client_id
    both = client.post("/tokeninfo", data={"access_token": t["access_token"], "id_token": t["id_token"]})
    assert both.status_code == 400 and both.json() == {
        "error": "invalid_request",
        "error_description": "Send exactly one access_token or id_token.",
    }


def test_the_documented_url_form_when_the_operator_turns_it_on(settings, seed, browser):  # ISSUE-9.9
    # PLATFORM_RULES: the reference platform takes ?access_token= / ?id_token=; ported apps may need it.
    from starlette.testclient import TestClient

    from consentry.app import create_app

    app = create_app(settings.model_copy(update={"tokeninfo_query_tokens": True}))
    with TestClient(app, base_url=ISSUER) as http:
        c = seed.client("web")
        seed.user("q@example.org")
        browser.http = http
        t = tokens_for(browser, http, c, "q@example.org", f"openid email {MAIL}")
        for name in ("access_token", "id_token"):
            for r in (
                http.get("/tokeninfo", params={name: t[name]}),
                http.post("/tokeninfo", params={name: t[name]}),
            ):
                assert r.status_code == 200 and r.json()["aud"] == c.client_id, (name, r.text)
        twice = http.post(
            "/tokeninfo", params={"access_token": t["access_token"]}, data={"id_token": t["id_token"]}
        )
        assert (
            twice.status_code == 400
            and twice.json()["error_description"] == "Send exactly one access_token or id_token."
        )
        assert http.get("/tokeninfo", params={"id_token": t["access_token"]}).json() == {
            "error": "invalid_token",
            "error_description": "Invalid Value",
        }


def test_access_token_of_a_disabled_client_or_account_is_invalid(seed, browser, client):  # ISSUE-9.9
    c, other = seed.client("web"), seed.client("web")
    seed.user("u@example.org")
    t = tokens_for(browser, client, c, "u@example.org", f"openid {MAIL}")
    t2 = tokens_for(browser, client, other, "u@example.org", f"openid {MAIL}")
    assert client.post("/tokeninfo", data={"access_token": t["access_token"]}).status_code == 200
    with seed.db.unit_of_work() as s:
        s.execute(update(Client).where(Client.id == c.pk).values(disabled=True))
    r = client.post("/tokeninfo", data={"access_token": t["access_token"]})
    assert r.status_code == 400 and r.json() == INVALID and r.headers["cache-control"] == "no-store"
    assert client.post("/tokeninfo", data={"access_token": t2["access_token"]}).status_code == 200
    with seed.db.unit_of_work() as s:
        s.execute(update(User).where(User.email == "u@example.org").values(disabled=True))
    r = client.post("/tokeninfo", data={"access_token": t2["access_token"]})
    assert r.status_code == 400 and r.json() == INVALID


def test_a_token_in_the_url_never_reaches_the_access_log(database_url, tmp_path):  # ISSUE-9.9 RFC 6819 4.6.7
    from tests.support.databases import SECRET

    log = (tmp_path / "server.log").open("wb")
    server = start_server(database_url, env={"CONSENTRY_SECRET_KEY": SECRET}, log_level="info", output=log)
    secret = "cs2.0123456789abcdef-this-is-a-token-value"
    try:
        r = httpx.get(server.url + "/tokeninfo", params={"access_token": secret, "x": "1"})
        assert r.status_code == 400 and r.json() == IN_URL  # refused, with a hint for ported clients
        r = httpx.post(server.url + "/tokeninfo", params={"id_token": secret})
        assert r.status_code == 400 and r.json() == IN_URL
    finally:
        server.stop()
        log.close()
    text = (tmp_path / "server.log").read_text()
    assert "GET /tokeninfo?access_token=[redacted]&x=1" in text, text  # the access log is on
    assert "POST /tokeninfo?id_token=[redacted]" in text
    assert secret not in text
