"""``/.well-known/ssf-configuration``: what the transmitter sends and how to check it.

# DATA-4: an app finds the issuer, the keys, the delivery method (RFC 8935 push) and every event
type there, and the discovery document points at it.
"""

from __future__ import annotations

from starlette.testclient import TestClient

from tests.conftest import ISSUER

RISC = "https://schemas.openid.net/secevent/risc/event-type/"


def test_ssf_configuration_lists_issuer_keys_delivery_and_events(client: TestClient) -> None:  # DATA-4
    r = client.get("/.well-known/ssf-configuration")
    assert r.status_code == 200 and r.headers["content-type"] == "application/json"
    assert r.headers["cache-control"] == "public, max-age=300"
    doc = r.json()
    assert doc == {
        "spec_version": "1_0",
        "issuer": ISSUER,
        "jwks_uri": f"{ISSUER}/jwks",
        "delivery_methods_supported": [
            "urn:ietf:rfc:8935",
            "https://schemas.openid.net/secevent/risc/delivery-method/push",
        ],
        "events_supported": [
            RISC + "tokens-revoked",
            RISC + "sessions-revoked",
            RISC + "account-disabled",
            RISC + "account-enabled",
            RISC + "account-purged",
            RISC + "verification",
            f"{ISSUER}/secevent/event-type/data-deletion-requested",
        ],
        "default_subjects": "ALL",
        "critical_subject_members": ["iss", "sub"],
        "consentry_endpoint_api": f"{ISSUER}/api/v1/projects/{{project}}/events-endpoint",
    }
    assert client.get(doc["jwks_uri"].removeprefix(ISSUER)).json()["keys"]
    assert client.get("/.well-known/risc-configuration").json() == doc


def test_discovery_points_at_the_ssf_configuration(client: TestClient) -> None:  # DATA-4
    meta = client.get("/.well-known/openid-configuration").json()
    assert meta["consentry_ssf_configuration"] == f"{ISSUER}/.well-known/ssf-configuration"
