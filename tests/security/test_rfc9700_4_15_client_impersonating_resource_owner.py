"""RFC 9700 §4.15 Client Impersonating Resource Owner (and RFC 6749 §2.3, §3.2.1).

A client must not pass for another client, nor for a user: confidential clients authenticate with
their secret (``none`` is for public clients only), and a client's own token (client credentials)
carries no user, so no API that serves a user's data or identity accepts it as one. Client ids are
chosen by the server, so a client cannot pick one that equals a user's ``sub``.
"""

from __future__ import annotations

from starlette.testclient import TestClient

from tests.security.support import CAL, USER
from tests.support.seed import Seeder


# SEC-7 OWASP A07:2021 Identification and Authentication Failures: CWE-287: clients authenticate with their
#   own secret; a client token is no user.
def test_4_15_clients_prove_who_they_are_and_their_tokens_never_stand_for_a_user(
    seed: Seeder, client: TestClient
) -> None:
    """RFC 6749 §3.2.1: no secret (``none``), a wrong secret, another client's secret or an empty
    one is 401 ``invalid_client`` on each endpoint that takes client authentication. RFC 9700
    §4.15: a client credentials token (even with a user-data scope) names the client as subject,
    with no username; userinfo and the user-data APIs refuse it; and client ids are the server's
    choice, distinct from any user's ``sub``."""
    svc = seed.client("service")
    other = seed.client("service")
    cc = {"grant_type": "client_credentials"}
    attempts = [
        ("/token", {**cc, "client_id": svc.client_id}, None),
        ("/token", cc, (svc.client_id, "wrong")),
        ("/token", cc, (svc.client_id, other.client_secret)),
        ("/token", cc, (svc.client_id, "")),
        ("/token", {**cc, "client_id": svc.client_id, "client_secret": ""}, None),
        ("/introspect", {"token": "x", "client_id": svc.client_id}, None),
        ("/revoke", {"token": "x", "client_id": svc.client_id}, None),
    ]
    for path, data, auth in attempts:
        r = client.post(path, data=data, auth=auth)
        assert r.status_code == 401 and r.json()["error"] == "invalid_client", (path, data, auth, r.text)

    # RFC 9700 §4.15 proper: the service's own token never stands for a user.
    sub = seed.user(USER)
    assert svc.client_id.endswith(".apps.consentry") and svc.client_id != sub
    # The scope a user's calendar needs: granted to the service for itself, never as a user.
    r = client.post(
        "/token",
        data={"grant_type": "client_credentials", "scope": CAL},
        auth=(svc.client_id, svc.client_secret),
    )
    assert r.status_code == 200, r.text
    token = r.json()["access_token"]
    intro = client.post("/introspect", data={"token": token}, auth=(svc.client_id, svc.client_secret)).json()
    assert intro["active"] is True and intro["sub"] == svc.client_id and "username" not in intro, intro
    bearer = {"Authorization": f"Bearer {token}"}
    info = client.get("/userinfo", headers=bearer)
    assert info.status_code == 401 and 'error="invalid_token"' in info.headers["www-authenticate"], info.text
    data = client.get("/data/v1/calendar/events", headers=bearer)
    assert data.status_code == 401 and data.json()["error"] == "invalid_token", data.text
