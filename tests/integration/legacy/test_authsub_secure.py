"""Secure AuthSub tokens over HTTP (AUTH3-5, AUTH3-7), on SQLite and PostgreSQL: every use signed
with the app's registered key, in each client library's parameter order, once."""

from __future__ import annotations

import time

import pytest

from tests.conftest import ISSUER
from tests.support.authsub import (
    approve_all,
    certificate_for,
    lines,
    open_request,
    other_key_pem,
    quoted,
    registered_app,
    secure_header,
    signed_data,
    token_from,
    v1_url,
    v2_url,
)

ADA = "ada@example.org"
CAL_FEED = "http://www.google.com/calendar/feeds/"
CAL = f"{ISSUER}/auth/calendar"
NEXT = "https://calgulp.example.com/cb?step=2"
SESSION_URL = f"{ISSUER}/accounts/AuthSubSessionToken"
INFO_URL = f"{ISSUER}/accounts/AuthSubTokenInfo"
EVENTS_URL = f"{ISSUER}/data/v1/calendar/events"


def _secure_single_use(seed, browser) -> str:
    back = approve_all(browser, v2_url(ISSUER, NEXT, [CAL_FEED], secure=True), ADA, [CAL])
    assert back.status_code == 303, back.text[:2000]
    return token_from(back.headers["location"])


@pytest.fixture
def secure_app(seed):
    seed.user(ADA)
    return registered_app(seed, certificate=certificate_for())


def test_secure_tokens_are_signed_at_every_step(secure_app, client, browser, seed) -> None:
    # AUTH3-5, AUTH3-7: upgrade (gdata v1 order), info (gdata v2 order), data (Perl order)
    single = _secure_single_use(seed, browser)
    unsigned = client.get(SESSION_URL, headers={"authorization": quoted(single)})
    assert unsigned.status_code == 401 and "sigalg, data and sig" in unsigned.text
    forged = secure_header(single, "GET", SESSION_URL, style="v1", key_pem=other_key_pem())
    bad = client.get(SESSION_URL, headers={"authorization": forged})
    assert bad.status_code == 401 and bad.text.startswith("Signature invalid")

    upgrade = client.get(
        SESSION_URL, headers={"authorization": secure_header(single, "GET", SESSION_URL, style="v1")}
    )
    assert upgrade.status_code == 200, upgrade.text
    session = lines(upgrade.text)["Token"]

    info = client.get(
        INFO_URL, headers={"authorization": secure_header(session, "GET", INFO_URL, style="v2")}
    )
    assert info.status_code == 200 and info.text == f"Target=calgulp.example.com\nScope={CAL}\nSecure=true"

    events = client.get(
        EVENTS_URL, headers={"authorization": secure_header(session, "GET", EVENTS_URL, style="perl")}
    )
    assert events.status_code == 200
    # A secure token without its signature is refused at the data API too
    assert client.get(EVENTS_URL, headers={"authorization": quoted(session)}).status_code == 401
    assert client.get(EVENTS_URL, headers={"authorization": f"AuthSub token={session}"}).status_code == 401


def test_a_signature_is_good_for_its_own_request_once(secure_app, client, browser, seed) -> None:
    # AUTH3-5: replay, another URL, another method, an old timestamp, dsa-sha1: all refused
    session = lines(
        client.get(
            SESSION_URL,
            headers={"authorization": secure_header(_secure_single_use(seed, browser), "GET", SESSION_URL)},
        ).text
    )["Token"]
    header = secure_header(session, "GET", EVENTS_URL, style="v2")
    assert client.get(EVENTS_URL, headers={"authorization": header}).status_code == 200
    replayed = client.get(EVENTS_URL, headers={"authorization": header})
    assert replayed.status_code == 401

    elsewhere = secure_header(session, "GET", f"{ISSUER}/data/v1/mail/messages")
    assert client.get(EVENTS_URL, headers={"authorization": elsewhere}).status_code == 401
    info_elsewhere = client.get(
        INFO_URL, headers={"authorization": secure_header(session, "GET", EVENTS_URL)}
    )
    assert info_elsewhere.status_code == 401 and "not the URL of this request" in info_elsewhere.text

    as_post = client.get(INFO_URL, headers={"authorization": secure_header(session, "POST", INFO_URL)})
    assert as_post.status_code == 401 and "data names POST but the request is GET" in as_post.text

    stale = secure_header(
        session, "GET", INFO_URL, data=signed_data("GET", INFO_URL, at=int(time.time()) - 3600)
    )
    old = client.get(INFO_URL, headers={"authorization": stale})
    assert old.status_code == 401 and "timestamp" in old.text

    fresh = secure_header(session, "GET", INFO_URL, style="perl")
    dsa = client.get(
        INFO_URL, headers={"authorization": fresh.replace('sigalg="rsa-sha1"', 'sigalg="dsa-sha1"')}
    )
    assert dsa.status_code == 401 and "dsa-sha1 is not supported" in dsa.text

    replay_info = secure_header(session, "GET", INFO_URL)
    assert client.get(INFO_URL, headers={"authorization": replay_info}).status_code == 200
    again = client.get(INFO_URL, headers={"authorization": replay_info})
    assert again.status_code == 401 and "already seen" in again.text


def test_a_signed_write_names_its_method(secure_app, client, browser, seed) -> None:
    # AUTH3-5: a POST is signed as POST (vector 4's PUT shape: "METHOD URL TIME NONCE")
    single = _secure_single_use(seed, browser)
    session = lines(
        client.get(SESSION_URL, headers={"authorization": secure_header(single, "GET", SESSION_URL)}).text
    )["Token"]
    event = {"summary": "Standup", "starts_at": 1_900_000_000, "ends_at": 1_900_001_800}
    as_get = client.post(
        EVENTS_URL, json=event, headers={"authorization": secure_header(session, "GET", EVENTS_URL)}
    )
    assert as_get.status_code == 401
    created = client.post(
        EVENTS_URL, json=event, headers={"authorization": secure_header(session, "POST", EVENTS_URL)}
    )
    assert created.status_code == 201, created.text
    assert created.json()["summary"] == "Standup"


def test_secure_needs_a_registered_app_with_a_certificate(seed, browser) -> None:
    # AUTH3-5: unregistered, or registered without a certificate: a clear page, nothing asked
    seed.user(ADA)
    registered_app(seed, "nocert.example.com", name="NoCert")
    for next_url in ("https://unknown.example/cb", "https://nocert.example.com/cb"):
        page = open_request(browser, v1_url(ISSUER, next_url, CAL_FEED, secure=True), ADA)
        assert page.status_code == 400 and "secure_not_registered" in page.text
        assert 'name="step"' not in page.text
