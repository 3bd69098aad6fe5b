"""RFC 9700 §4.6 Access Token Injection: not applicable, and this proves why.

The attack injects a stolen access token into a client through the front channel (implicit grant,
hybrid flows, ``response_mode=fragment``). Consentry issues tokens only at the token endpoint: the
test shows every response type that would put a token in the front channel is refused, so the
precondition of §4.6 cannot arise.
"""

from __future__ import annotations

from starlette.testclient import TestClient

from tests.security.support import redirect_params, single
from tests.support.browserless import Browser, pkce_pair
from tests.support.flows import auth_params
from tests.support.seed import Seeder


def test_4_6_no_response_type_returns_a_token_through_the_front_channel(
    seed: Seeder, browser: Browser, client: TestClient
) -> None:
    """RFC 9700 §2.1.2 / §4.6: ``token`` and every hybrid type are ``unsupported_response_type``
    (sent to the registered redirect URI, in its query, with no token); discovery lists only
    ``code``."""
    c = seed.client("web")
    _v, challenge = pkce_pair()
    for response_type in (
        "token",
        "id_token",
        "id_token token",
        "code token",
        "code id_token",
        "code id_token token",
    ):
        r = browser.authorize(auth_params(c, challenge, "openid", response_type=response_type, nonce="n"))
        q = redirect_params(r)
        assert r.headers["location"].startswith(c.redirect_uris[0] + "?"), (
            response_type,
            r.headers["location"],
        )
        assert single(q, "error") == "unsupported_response_type", (response_type, q)
        assert not {"access_token", "id_token", "code"} & set(q), (response_type, q)
    meta = client.get("/.well-known/openid-configuration").json()
    assert meta["response_types_supported"] == ["code"]
