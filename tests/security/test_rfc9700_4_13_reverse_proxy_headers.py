"""RFC 9700 §4.13 TLS Terminating Reverse Proxies.

Behind a proxy, a server that builds its own URLs from ``Host`` or ``X-Forwarded-*`` headers can be
told by an attacker to publish another issuer, token endpoint or verification URI. Consentry takes
every URL it publishes from the configured issuer, whatever the request says.
"""

from __future__ import annotations

from starlette.testclient import TestClient

from tests.conftest import ISSUER
from tests.security.support import redirect_params, single
from tests.support.browserless import pkce_pair
from tests.support.flows import auth_params
from tests.support.seed import Seeder

FORGED = {
    "host": "evil.example",
    "x-forwarded-host": "evil.example",
    "x-forwarded-proto": "https",
    "x-forwarded-for": "203.0.113.9",
    "forwarded": "host=evil.example;proto=https",
    "x-original-url": "https://evil.example/",
}


def test_4_13_forged_host_and_forwarded_headers_do_not_change_what_the_server_publishes(
    seed: Seeder, client: TestClient
) -> None:
    """RFC 9700 §4.13: discovery, the device verification URI and the authorization response's
    issuer stay on the configured issuer when the request carries forged proxy headers."""
    for path in ("/.well-known/openid-configuration", "/.well-known/oauth-authorization-server"):
        meta = client.get(path, headers=FORGED).json()
        urls = [v for v in meta.values() if isinstance(v, str) and "://" in v]
        urls += [v for v in meta.get("consentry_legacy_endpoints", {}).values()]
        assert meta["issuer"] == ISSUER and urls, meta
        assert all(u.startswith(ISSUER + "/") or u == ISSUER for u in urls), [u for u in urls if "evil" in u]
    device = seed.client("device")
    d = client.post("/device/code", data={"client_id": device.client_id, "scope": "openid"}, headers=FORGED)
    assert d.status_code == 200, d.text
    assert d.json()["verification_uri"] == ISSUER + "/device"
    assert d.json()["verification_uri_complete"].startswith(ISSUER + "/device?")
    web = seed.client("web")
    _v, challenge = pkce_pair()
    r = client.get(
        "/authorize",
        params=auth_params(web, challenge, "openid", prompt="none"),
        headers=FORGED,
        follow_redirects=False,
    )
    q = redirect_params(r)
    assert single(q, "error") == "login_required"
    assert single(q, "iss") == ISSUER  # RFC 9207: the configured issuer, whatever the headers say
