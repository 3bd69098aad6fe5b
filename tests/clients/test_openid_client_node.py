"""The npm package openid-client (v6) against a live server, through tests/clients/node/oidc_client.mjs.

AUTH2-2: discovery, client credentials, the authorization code flow with PKCE S256, state and nonce,
ID token validation (signature from our jwks_uri, iss, aud, exp, nonce) and userinfo with the
expected subject, all done by a relying-party library written by someone else, in another language.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import shutil
import subprocess
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.clients.interactive import PASSWORD, approve
from tests.support.browserless import query_of

pytestmark = pytest.mark.node

NODE_DIR = Path(__file__).resolve().parent / "node"
SCRIPT = NODE_DIR / "oidc_client.mjs"
REDIRECT = "https://rp.example.org/auth/callback"

Run = Callable[..., dict[str, Any]]


def _ensure_node_modules() -> None:
    """``npm ci`` from the lockfile when the packages are missing (once, even with several workers)."""
    marker = NODE_DIR / "node_modules" / "openid-client" / "package.json"
    if marker.exists():
        return
    npm = shutil.which("npm")
    assert npm, f"node is installed but npm is not, and {NODE_DIR}/node_modules is missing"
    lock = (
        Path(tempfile.gettempdir()) / f"consentry-npm-{hashlib.sha256(bytes(NODE_DIR)).hexdigest()[:12]}.lock"
    )
    with lock.open("w") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        if not marker.exists():
            done = subprocess.run(
                [npm, "ci", "--no-audit", "--no-fund"],
                cwd=NODE_DIR,
                capture_output=True,
                text=True,
                timeout=600,
                check=False,
            )
            assert done.returncode == 0, f"npm ci failed:\n{done.stdout}\n{done.stderr}"


@pytest.fixture(scope="session")
def openid_client() -> Run:
    node = shutil.which("node")
    if node is None:
        pytest.skip("node is not installed (apt-get install nodejs npm)")
    _ensure_node_modules()

    def run(*args: str, ok: bool = True) -> dict[str, Any]:
        done = subprocess.run(
            [node, str(SCRIPT), *args], cwd=NODE_DIR, capture_output=True, text=True, timeout=60, check=False
        )
        assert (done.returncode == 0) is ok, f"exit {done.returncode}\n{done.stdout}\n{done.stderr}"
        return json.loads(done.stdout)

    return run


def test_discovery(live_server, openid_client):  # AUTH2-2
    server, _seed = live_server
    meta = openid_client("discover", server.url)
    assert meta["issuer"] == server.url
    assert meta["authorization_endpoint"] == server.url + "/authorize"
    assert meta["token_endpoint"] == server.url + "/token"
    assert meta["userinfo_endpoint"] == server.url + "/userinfo"
    assert meta["jwks_uri"] == server.url + "/jwks"
    assert meta["code_challenge_methods_supported"] == ["S256"]
    assert {"openid", "email", "profile", f"{server.url}/auth/mail.readonly"} <= set(meta["scopes_supported"])


def test_client_credentials(live_server, openid_client):  # AUTH2-2
    server, seed = live_server
    svc = seed.client("service")
    cal = f"{server.url}/auth/calendar.readonly"
    tokens = openid_client("client-credentials", server.url, svc.client_id, svc.client_secret, cal)
    assert tokens["token_type"].lower() == "bearer"
    assert tokens["scope"] == cal and tokens["expires_in"] > 0
    assert "refresh_token" not in tokens
    # The token the library got is one the server knows: introspect it as the same client.
    meta = httpx.post(
        server.url + "/introspect",
        data={"token": tokens["access_token"]},
        auth=(svc.client_id, svc.client_secret),
        timeout=10,
    ).json()
    assert meta["active"] is True and meta["client_id"] == svc.client_id

    refused = openid_client("client-credentials", server.url, svc.client_id, "wrong-secret", cal, ok=False)
    assert refused["error"] == "invalid_client" and refused["status"] == 401, refused


def test_code_flow_id_token_and_userinfo(live_server, live_browser, openid_client):  # AUTH2-2
    server, seed = live_server
    app = seed.client("web", redirect_uris=[REDIRECT])
    sub = seed.user("nia@example.org", PASSWORD)
    scope = "openid email profile"

    start = openid_client("auth-url", server.url, app.client_id, app.client_secret, REDIRECT, scope)
    sent = query_of(start["url"])
    assert sent["client_id"] == app.client_id and sent["redirect_uri"] == REDIRECT
    assert sent["code_challenge_method"] == "S256" and sent["state"] == start["state"]
    assert sent["nonce"] == start["nonce"] and sent["scope"] == scope

    callback = approve(live_browser, start["url"], "nia@example.org")
    assert callback.startswith(REDIRECT + "?")

    out = openid_client(
        "exchange",
        server.url,
        app.client_id,
        app.client_secret,
        callback,
        start["code_verifier"],
        start["state"],
        start["nonce"],
    )
    tokens, claims, userinfo = out["tokens"], out["claims"], out["userinfo"]
    assert tokens["token_type"].lower() == "bearer" and tokens["access_token"] and tokens["id_token"]
    assert set(tokens["scope"].split()) == set(scope.split())
    assert claims["iss"] == server.url and claims["aud"] == app.client_id and claims["sub"] == sub
    assert claims["nonce"] == start["nonce"] and claims["exp"] > claims["iat"]
    assert claims["email"] == "nia@example.org" and claims["email_verified"] is True
    assert userinfo["sub"] == sub and userinfo["email"] == "nia@example.org"
    assert "name" in userinfo  # profile was granted

    # The code was spent: the library presenting it again gets the server's invalid_grant.
    replay = openid_client(
        "exchange",
        server.url,
        app.client_id,
        app.client_secret,
        callback,
        start["code_verifier"],
        start["state"],
        start["nonce"],
        ok=False,
    )
    assert replay["error"] == "invalid_grant", replay


def test_code_flow_library_rejects_wrong_state_and_verifier(  # AUTH2-2
    live_server, live_browser, openid_client
):
    server, seed = live_server
    app = seed.client("web", redirect_uris=[REDIRECT])
    seed.user("ode@example.org", PASSWORD)
    start = openid_client("auth-url", server.url, app.client_id, app.client_secret, REDIRECT, "openid")
    callback = approve(live_browser, start["url"], "ode@example.org")

    # A callback whose state is not ours never reaches the token endpoint...
    forged = openid_client(
        "exchange",
        server.url,
        app.client_id,
        app.client_secret,
        callback,
        start["code_verifier"],
        "another-state",
        start["nonce"],
        ok=False,
    )
    assert forged["code"] == "OAUTH_INVALID_RESPONSE", forged
    assert "state" in forged["cause_message"].lower(), forged
    # ...and the server refuses the code with a verifier that is not the one behind the challenge.
    wrong = openid_client(
        "exchange",
        server.url,
        app.client_id,
        app.client_secret,
        callback,
        "v" * 64,
        start["state"],
        start["nonce"],
        ok=False,
    )
    assert wrong["error"] == "invalid_grant", wrong
