"""RFC 9700 §4.4 Mix-Up Attacks, defended with RFC 9207 (issue 9.8).

A client that uses several authorization servers must learn which one answered before it sends
the code anywhere: every authorization response, success or error, carries ``iss`` (exactly once,
equal to the issuer), and discovery says so. The ID token names the same issuer and the client.
"""

from __future__ import annotations

from joserfc import jwt
from joserfc.jwk import KeySet
from starlette.testclient import TestClient

from tests.conftest import ISSUER
from tests.security.support import MAIL, USER, redirect_params, single
from tests.support.browserless import Browser, pkce_pair
from tests.support.flows import PASSWORD, auth_params, exchange
from tests.support.seed import Seeder


def test_4_4_every_authorization_response_names_the_issuer(
    seed: Seeder, browser: Browser, client: TestClient
) -> None:
    """RFC 9700 §4.4.2, RFC 9207 §2: ``iss`` on the success redirect and on each kind of error
    redirect (refused before sign-in, ``login_required``, ``access_denied``), equal to the issuer;
    the ID token's ``iss`` and ``aud`` agree; discovery advertises the parameter."""
    c = seed.client("web")
    seed.user(USER)
    verifier, challenge = pkce_pair()

    # An error found before anyone signs in (unknown scope): redirected, with iss.
    early = browser.authorize(auth_params(c, challenge, "openid https://nope.example/auth/x"))
    q = redirect_params(early)
    assert single(q, "error") == "invalid_scope" and single(q, "state") == "xyz"
    assert single(q, "iss") == ISSUER

    # prompt=none with nobody signed in.
    none = browser.authorize(auth_params(c, challenge, "openid", prompt="none"))
    q = redirect_params(none)
    assert single(q, "error") == "login_required" and single(q, "iss") == ISSUER

    # The user says no on the consent page.
    page = browser.sign_in(browser.authorize(auth_params(c, challenge, f"openid {MAIL}")), USER, PASSWORD)
    denied = browser.consent(page, [MAIL], allow=False)
    q = redirect_params(denied)
    assert single(q, "error") == "access_denied" and single(q, "iss") == ISSUER

    # Success.
    page = browser.authorize(auth_params(c, challenge, f"openid {MAIL}", nonce="n-4.4"))
    granted = browser.consent(page, [MAIL])
    q = redirect_params(granted)
    assert single(q, "iss") == ISSUER and single(q, "state") == "xyz"
    tokens = exchange(client, c, single(q, "code"), verifier)
    assert tokens.status_code == 200, tokens.text
    keys = KeySet.import_key_set(client.get("/jwks").json())
    claims = jwt.decode(tokens.json()["id_token"], keys).claims
    assert claims["iss"] == ISSUER and claims["aud"] == c.client_id and claims["nonce"] == "n-4.4"

    for path in ("/.well-known/openid-configuration", "/.well-known/oauth-authorization-server"):
        meta = client.get(path).json()
        assert meta["issuer"] == ISSUER
        assert meta.get("authorization_response_iss_parameter_supported") is True, path
