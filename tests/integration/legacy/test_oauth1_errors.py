"""OAuth 1.0a refusals in the Problem Reporting format, never a 500 (AUTH1-2, AUTH1-3).

Each answer is form-encoded, ``oauth_problem`` names what is wrong; 400 for the request's shape,
401 for credentials with ``WWW-Authenticate: OAuth realm="<issuer>"``.
"""

from __future__ import annotations

import time

import pytest
from oauthlib.oauth1 import SIGNATURE_PLAINTEXT
from oauthlib.oauth1 import Client as OAuthlibClient
from sqlalchemy import update
from starlette.testclient import TestClient

from consentry.app import create_app
from consentry.storage.tables import Client, LegacyNonce
from tests.conftest import ISSUER
from tests.support.oauth1 import (
    PRIVATE_TEST_KEY,
    consumer,
    form_body,
    request_token,
    signed,
    signer,
)

URL = f"{ISSUER}/accounts/OAuthGetRequestToken"
CAL_FEED = f"{ISSUER}/feeds/calendar/"


def _problem(r, status: int, problem: str) -> dict[str, str]:
    assert r.status_code == status, r.text
    body = form_body(r)
    assert body["oauth_problem"] == problem, body
    if status == 401:
        assert r.headers["www-authenticate"] == f'OAuth realm="{ISSUER}"'
    return body


def test_unknown_scope_is_named(seed, client) -> None:  # AUTH1-3
    c = consumer(seed)
    r = request_token(client, ISSUER, c.key, c.secret, f"{CAL_FEED} http://nope.example/feeds/")
    body = _problem(r, 400, "parameter_rejected")
    assert body["oauth_parameters_rejected"] == "scope"
    assert body["oauth_problem_advice"] == "unknown scope: http://nope.example/feeds/"
    missing = signed(client, signer(c.key, c.secret, callback="oob"), "POST", URL)
    assert _problem(missing, 400, "parameter_absent")["oauth_parameters_absent"] == "scope"


def test_replayed_request_refused(seed, client) -> None:  # AUTH1-2 (nonce and timestamp)
    c = consumer(seed)
    uri, headers, _ = signer(c.key, c.secret, callback="oob").sign(
        URL + "?scope=" + CAL_FEED, http_method="POST"
    )
    first = client.post(uri, headers=headers)
    assert first.status_code == 200, first.text
    _problem(client.post(uri, headers=headers), 401, "nonce_used")
    with seed.db.unit_of_work() as s:
        assert s.query(LegacyNonce).count() == 1  # only the signed, accepted one was remembered


def test_signature_failures(seed, client) -> None:  # AUTH1-2
    c = consumer(seed)
    _problem(request_token(client, ISSUER, c.key, "wrong-secret", CAL_FEED), 401, "signature_invalid")
    _problem(
        request_token(client, ISSUER, "nobody.apps.consentry", "x", CAL_FEED), 401, "consumer_key_unknown"
    )
    plain = OAuthlibClient(
        c.key, client_secret=c.secret, callback_uri="oob", signature_method=SIGNATURE_PLAINTEXT
    )
    _problem(signed(client, plain, "POST", URL, {"scope": CAL_FEED}), 400, "signature_method_rejected")
    old = OAuthlibClient(
        c.key, client_secret=c.secret, callback_uri="oob", timestamp=str(int(time.time()) - 3600)
    )
    body = _problem(signed(client, old, "POST", URL, {"scope": CAL_FEED}), 401, "timestamp_refused")
    assert "oauth_acceptable_timestamps" in body
    # Unregistered apps have no certificate: RSA-SHA1 from anonymous is refused.
    rsa = request_token(client, ISSUER, "anonymous", "", CAL_FEED, rsa_key=PRIVATE_TEST_KEY)
    _problem(rsa, 400, "signature_method_rejected")
    # A registered app without a certificate cannot use RSA-SHA1 either.
    _problem(
        request_token(client, ISSUER, c.key, "", CAL_FEED, rsa_key=PRIVATE_TEST_KEY),
        400,
        "signature_method_rejected",
    )


def test_missing_and_malformed_parameters(seed, client) -> None:  # AUTH1-2
    absent = client.post(URL, headers={"Authorization": 'OAuth oauth_consumer_key="anonymous"'})
    body = _problem(absent, 400, "parameter_absent")
    assert (
        body["oauth_parameters_absent"]
        == "oauth_signature_method&oauth_signature&oauth_timestamp&oauth_nonce"
    )
    _problem(client.post(URL, headers={"Authorization": "OAuth garbage, , ="}), 400, "parameter_rejected")
    _problem(client.get(URL + "?scope=%ZZ"), 400, "parameter_rejected")
    _problem(
        client.post(
            URL, content=b"scope=\xff\xfe", headers={"content-type": "application/x-www-form-urlencoded"}
        ),
        400,
        "parameter_rejected",
    )
    c = consumer(seed)
    bad_cb = request_token(client, ISSUER, c.key, c.secret, CAL_FEED, callback="javascript:alert(1)")
    assert _problem(bad_cb, 400, "parameter_rejected")["oauth_parameters_rejected"] == "oauth_callback"
    for path in ("/accounts/OAuthGetAccessToken", "/accounts/OAuthGetRequestToken"):
        r = client.get(path)
        assert r.status_code == 400 and form_body(r)["oauth_problem"] == "parameter_absent"


def test_disabled_consumer_refused(seed, client) -> None:  # AUTH1-13
    c = consumer(seed)
    with seed.db.unit_of_work() as s:
        s.execute(update(Client).where(Client.id == c.pk).values(disabled=True))
    _problem(request_token(client, ISSUER, c.key, c.secret, CAL_FEED), 401, "consumer_key_rejected")


@pytest.fixture
def tight_client(settings):
    app = create_app(settings.model_copy(update={"flow_address_limit": 2}))
    with TestClient(app, base_url=ISSUER) as c:
        yield c


def test_anonymous_request_tokens_are_bounded_per_address(
    seed, tight_client
) -> None:  # AUTH1-2 (anonymous writers)
    for _ in range(2):
        assert request_token(tight_client, ISSUER, "anonymous", "anonymous", CAL_FEED).status_code == 200
    over = request_token(tight_client, ISSUER, "anonymous", "anonymous", CAL_FEED)
    assert over.status_code == 429 and form_body(over)["oauth_problem"] == "consumer_key_refused"
    assert int(over.headers["retry-after"]) > 0
    # A registered consumer is counted on its own key, not on the shared address.
    c = consumer(seed)
    assert request_token(tight_client, ISSUER, c.key, c.secret, CAL_FEED).status_code == 200
