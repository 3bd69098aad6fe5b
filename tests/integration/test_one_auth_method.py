"""A request carries one client authentication method (RFC 6749 section 2.3), on every endpoint."""

from __future__ import annotations

import pytest

from tests.conftest import ISSUER

DESCRIPTION = "Use one client authentication method per request (RFC 6749 section 2.3)."
CC = {"grant_type": "client_credentials"}


@pytest.mark.parametrize(
    ("path", "form"),
    [
        ("/token", CC),  # the token lane
        ("/token", {**CC, "client_assertion": "a.b.c"}),  # any client_assertion: the FastAPI route
        ("/introspect", {"token": "x"}),
        ("/revoke", {"token": "x"}),
    ],
    ids=["token-lane", "token-route", "introspect", "revoke"],
)
def test_basic_auth_plus_a_secret_in_the_body_is_refused(
    seed, client, path: str, form: dict[str, str]
) -> None:
    # Issue 9 item 7's neighbour: client_secret=<wrong> beside a valid Basic header must not ride along.
    svc = seed.client("service")
    r = client.post(path, data={**form, "client_secret": "wrong"}, auth=(svc.client_id, svc.client_secret))
    assert r.status_code == 400, r.text
    assert r.json() == {"error": "invalid_request", "error_description": DESCRIPTION}
    assert r.headers["cache-control"] == "no-store"


def test_device_code_with_two_methods_is_refused(seed, client) -> None:
    dev = seed.client("device")
    r = client.post(
        "/device/code",
        data={"client_id": dev.client_id, "client_secret": "x", "scope": f"{ISSUER}/auth/calendar.readonly"},
        auth=(dev.client_id, "y"),
    )
    assert r.status_code == 400 and r.json()["error_description"] == DESCRIPTION


def test_one_method_and_a_client_id_still_work(seed, client) -> None:
    svc = seed.client("service")
    basic = client.post(
        "/token", data={**CC, "client_id": svc.client_id}, auth=(svc.client_id, svc.client_secret)
    )
    assert basic.status_code == 200, basic.text
    post = client.post("/token", data={**CC, "client_id": svc.client_id, "client_secret": svc.client_secret})
    assert post.status_code == 200, post.text
