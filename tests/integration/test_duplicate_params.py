"""A protocol parameter sent twice is refused before anything runs, on every endpoint (issue 9.7).

RFC 6749 §3.1 and §3.2: "Request and response parameters MUST NOT be included more than once."
Accepting the first value lets two parties disagree on what a request said (a proxy or WAF that
reads the last value, a client library that reads another one). Each test asserts the answer and
that the refused request wrote nothing.
"""

from __future__ import annotations

import html
from typing import Any
from urllib.parse import urlencode

import pytest
from sqlalchemy import func, select

from consentry.storage.tables import AuthorizationCode, DeviceCode, Interaction, Token
from tests.conftest import ISSUER
from tests.support.flows import auth_params, get_code, tokens_for

MAIL = f"{ISSUER}/auth/mail.readonly"
CAL = f"{ISSUER}/auth/calendar.readonly"
DEVICE_GRANT = "urn:ietf:params:oauth:grant-type:device_code"
FORM = {"content-type": "application/x-www-form-urlencoded"}


def _repeated(name: str) -> dict[str, str]:
    return {"error": "invalid_request", "error_description": f"Parameter '{name}' is repeated."}


def _post(client, path: str, pairs: list[tuple[str, str]], auth: Any = None):
    """POST a form body exactly as given, repeated names included."""
    return client.post(path, content=urlencode(pairs), headers=FORM, auth=auth)


def _refused(r, name: str) -> None:
    assert r.status_code == 400, r.text
    assert r.json() == _repeated(name)
    assert r.headers["cache-control"] == "no-store" and r.headers["pragma"] == "no-cache"


def _rows(seed) -> dict[str, list[tuple[Any, ...]]]:
    """Everything a protocol request may write, to compare before and after."""
    with seed.db.unit_of_work() as s:
        return {
            "tokens": [tuple(r) for r in s.execute(select(Token.id, Token.rotated_at, Token.revoked_at))],
            "codes": [
                tuple(r) for r in s.execute(select(AuthorizationCode.code_hash, AuthorizationCode.used_at))
            ],
            "devices": [
                tuple(r)
                for r in s.execute(
                    select(DeviceCode.device_code_hash, DeviceCode.last_poll_at, DeviceCode.interval)
                )
            ],
            "interactions": [(s.scalar(select(func.count()).select_from(Interaction)),)],
        }


# --- /token ---------------------------------------------------------------------------------
@pytest.mark.parametrize("name", ["grant_type", "scope", "client_id"])
def test_token_client_credentials_refuses_a_repeated_parameter(seed, client, name):
    # ISSUE-9.7 RFC 6749 §3.2: on the token lane (client_credentials).
    svc = seed.client("service")
    base = {"grant_type": "client_credentials", "scope": "", "client_id": svc.client_id}
    pairs = [*base.items(), (name, base[name]), ("client_secret", svc.client_secret or "")]
    before = _rows(seed)
    _refused(_post(client, "/token", pairs), name)
    assert _rows(seed) == before


def test_token_refuses_a_client_secret_sent_twice(seed, client):
    # ISSUE-9.7 RFC 6749 §3.2, §2.3.1: client_secret=<valid>&client_secret=wrong must not authenticate.
    svc = seed.client("service")
    pairs = [
        ("grant_type", "client_credentials"),
        ("client_id", svc.client_id),
        ("client_secret", svc.client_secret or ""),
        ("client_secret", "wrong"),
    ]
    before = _rows(seed)
    _refused(_post(client, "/token", pairs), "client_secret")
    assert _rows(seed) == before


def test_token_authorization_code_refuses_two_codes_and_the_code_stays_usable(seed, browser, client):
    # ISSUE-9.7 RFC 6749 §3.2, §4.1.3: on the FastAPI route (authorization_code).
    c = seed.client("web")
    seed.user("u@example.org")
    code, verifier = get_code(browser, c, "u@example.org", "openid")
    honest = [
        ("grant_type", "authorization_code"),
        ("code", code),
        ("redirect_uri", c.redirect_uris[0]),
        ("code_verifier", verifier),
    ]
    auth = (c.client_id, c.client_secret)
    before = _rows(seed)
    _refused(_post(client, "/token", [*honest, ("code", "another-code")], auth), "code")
    _refused(_post(client, "/token", [*honest, ("grant_type", "client_credentials")], auth), "grant_type")
    assert _rows(seed) == before
    assert _post(client, "/token", honest, auth).status_code == 200


@pytest.mark.parametrize("extra", [[], [("client_assertion", "not-a-jwt")]], ids=["lane", "route"])
def test_token_refresh_refuses_a_repeated_refresh_token_and_rotates_nothing(seed, browser, client, extra):
    # ISSUE-9.7 RFC 6749 §3.2, §6: on the lane and on the route (any client_assertion field).
    c = seed.client("web")
    seed.user("u@example.org")
    t = tokens_for(browser, client, c, "u@example.org", f"openid {MAIL}", access_type="offline")
    honest = [("grant_type", "refresh_token"), ("refresh_token", t["refresh_token"])]
    auth = (c.client_id, c.client_secret)
    before = _rows(seed)
    _refused(
        _post(client, "/token", [*honest, ("refresh_token", t["refresh_token"]), *extra], auth),
        "refresh_token",
    )
    _refused(_post(client, "/token", [*honest, ("scope", "openid"), ("scope", MAIL), *extra], auth), "scope")
    assert _rows(seed) == before
    assert _post(client, "/token", honest, auth).status_code == 200


def test_token_device_code_refuses_a_repeated_device_code(seed, client):
    # ISSUE-9.7 RFC 6749 §3.2, RFC 8628 §3.4: the poll is refused and not even counted.
    c = seed.client("device")
    d = client.post("/device/code", data={"client_id": c.client_id, "scope": f"openid {CAL}"}).json()
    pairs = [
        ("grant_type", DEVICE_GRANT),
        ("device_code", d["device_code"]),
        ("device_code", d["device_code"]),
        ("client_id", c.client_id),
    ]
    before = _rows(seed)
    _refused(_post(client, "/token", pairs), "device_code")
    assert _rows(seed) == before


def test_resource_may_repeat_and_the_query_string_of_a_post_is_not_a_parameter(seed, client):
    # ISSUE-9.7 RFC 8707 §2: `resource` may be sent more than once; RFC 6749 §3.2 parameters of a
    # POST come from its body, so a name in both the query and the body is not a repetition.
    svc = seed.client("service")
    auth = (svc.client_id, svc.client_secret)
    pairs = [
        ("grant_type", "client_credentials"),
        ("resource", "https://a.example/"),
        ("resource", "https://b.example/"),
    ]
    assert _post(client, "/token", pairs, auth).status_code == 200
    r = client.post(
        "/token?grant_type=password", content="grant_type=client_credentials", headers=FORM, auth=auth
    )
    assert r.status_code == 200, r.text


# --- /introspect, /revoke, /device/code -----------------------------------------------------
@pytest.mark.parametrize("extra", [[], [("client_assertion", "not-a-jwt")]], ids=["lane", "route"])
def test_introspect_refuses_a_repeated_token(seed, client, extra):
    # ISSUE-9.7 RFC 6749 §3.1, RFC 7662 §2.1: on the lane and on the route.
    svc = seed.client("service")
    auth = (svc.client_id, svc.client_secret)
    token = client.post("/token", data={"grant_type": "client_credentials"}, auth=auth).json()["access_token"]
    before = _rows(seed)
    _refused(_post(client, "/introspect", [("token", token), ("token", "other"), *extra], auth), "token")
    hints = [("token", token), ("token_type_hint", "access_token"), ("token_type_hint", "refresh_token")]
    _refused(_post(client, "/introspect", [*hints, *extra], auth), "token_type_hint")
    assert _rows(seed) == before


def test_revoke_refuses_a_repeated_token_and_revokes_nothing(seed, client):
    # ISSUE-9.7 RFC 6749 §3.1, RFC 7009 §2.1.
    svc = seed.client("service")
    auth = (svc.client_id, svc.client_secret)
    token = client.post("/token", data={"grant_type": "client_credentials"}, auth=auth).json()["access_token"]
    before = _rows(seed)
    _refused(_post(client, "/revoke", [("token", token), ("token", token)], auth), "token")
    assert _rows(seed) == before
    assert client.post("/introspect", data={"token": token}, auth=auth).json()["active"] is True


@pytest.mark.parametrize("name", ["scope", "client_id"])
def test_device_authorization_refuses_a_repeated_parameter(seed, client, name):
    # ISSUE-9.7 RFC 6749 §3.1, RFC 8628 §3.1: no device code is created.
    c = seed.client("device")
    base = {"client_id": c.client_id, "scope": f"openid {CAL}"}
    before = _rows(seed)
    _refused(_post(client, "/device/code", [*base.items(), (name, base[name])]), name)
    assert _rows(seed) == before == {**before, "devices": []}


# --- /authorize -----------------------------------------------------------------------------
@pytest.mark.parametrize("name", ["redirect_uri", "scope", "client_id", "response_type", "state"])
def test_authorize_refuses_a_repeated_parameter_with_a_page_never_a_redirect(seed, browser, name):
    # ISSUE-9.7 RFC 6749 §3.1, §4.1.2.1: which redirect URI would be the right one is exactly what a
    # repeated parameter leaves open, so the answer is a page, never a redirect.
    c = seed.client("web")
    params = auth_params(c, None, "openid", code_challenge="x" * 43, code_challenge_method="S256")
    other = {"redirect_uri": "https://evil.example/cb", "scope": MAIL}.get(name, params[name])
    before = _rows(seed)
    r = browser.get(ISSUER + "/authorize?" + urlencode([*params.items(), (name, other)]))
    assert r.status_code == 400 and "location" not in r.headers, r.text
    assert r.headers["cache-control"] == "no-store"
    text = html.unescape(r.text)
    assert f"Parameter '{name}' is repeated." in text and "invalid_request" in text
    assert "evil.example" not in text
    assert _rows(seed) == before
