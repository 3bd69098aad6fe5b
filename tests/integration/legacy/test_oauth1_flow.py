"""OAuth 1.0a three-legged, end to end over HTTP (AUTH1-1..7, AUTH1-12), on SQLite and PostgreSQL.

The app signs with oauthlib (what requests-oauthlib uses); the user approves through the real
approval page, driven as a browser would (tests/support/oauth1.py); the data API is called with
the access token, signed.
"""

from __future__ import annotations

import re
from urllib.parse import parse_qs, urlsplit

from consentry.domain.legacy.oauth1_requests import LIFETIME
from consentry.protocol.oauth2.models import GRANTS, may_use_grant
from consentry.storage.tables import LegacyRequest
from tests.conftest import ISSUER
from tests.support.oauth1 import (
    FORM,
    Tokens,
    access_token,
    approval_page,
    consumer,
    decide,
    form_body,
    request_token,
    signed,
    signer,
    tokens_of,
)

EMAIL = "ada@example.org"
CAL_FEED = f"{ISSUER}/feeds/calendar/"
CAL = f"{ISSUER}/auth/calendar"
EVENTS = f"{ISSUER}/data/v1/calendar/events"
CALLBACK = "https://app.example.org/back?state=xyz&lang=en"


def _authorize(browser, token: str, scopes=(CAL,), allow: bool = True):
    page = approval_page(browser, f"/accounts/OAuthAuthorizeToken?oauth_token={token}", EMAIL)
    assert page.status_code == 200, page.text[:2000]
    return decide(browser, page, list(scopes), allow=allow)


def _events(client, c, got: Tokens):
    return signed(client, signer(c.key, c.secret, token=got.token, token_secret=got.secret), "GET", EVENTS)


def test_three_legged_hmac_with_callback(
    seed, client, browser
) -> None:  # AUTH1-1 AUTH1-2 AUTH1-3 AUTH1-5 AUTH1-6 AUTH1-7
    c = consumer(seed)
    seed.user(EMAIL)
    seed.sample_data(EMAIL)
    r = request_token(client, ISSUER, c.key, c.secret, CAL_FEED, callback=CALLBACK)
    assert r.status_code == 200 and r.headers["content-type"] == FORM
    assert re.fullmatch(r"oauth_token=[\w-]+&oauth_token_secret=[\w-]+&oauth_callback_confirmed=true", r.text)
    assert r.headers["deprecation"].startswith("@") and "sunset" in r.headers
    got = tokens_of(r)

    back = _authorize(browser, got.token)
    assert back.status_code == 302
    location = back.headers["location"]
    assert location.startswith(CALLBACK + "&oauth_token=")  # the callback's own query is kept
    q = {k: v[0] for k, v in parse_qs(urlsplit(location).query).items()}
    assert q["state"] == "xyz" and q["lang"] == "en" and q["oauth_token"] == got.token
    verifier = q["oauth_verifier"]

    a = access_token(client, ISSUER, c.key, c.secret, got, verifier)
    assert a.status_code == 200 and a.headers["content-type"] == FORM
    assert re.fullmatch(r"oauth_token=[\w-]+&oauth_token_secret=[\w-]+", a.text)
    access = tokens_of(a)
    assert access.token != got.token

    events = _events(client, c, access)
    assert events.status_code == 200, events.text
    assert events.json()["events"], "the sample calendar has events"
    # The token works only signed, in its own scheme: as a bearer token it is unknown.
    bearer = client.get(EVENTS, headers={"Authorization": f"Bearer {access.token}"})
    assert bearer.status_code == 401

    again = access_token(client, ISSUER, c.key, c.secret, got, verifier)  # AUTH1-5: only once
    assert again.status_code == 401 and form_body(again)["oauth_problem"] == "token_used"


def test_access_token_bound_to_user_and_granted_scopes(seed, client, browser) -> None:  # AUTH1-6
    c = consumer(seed)
    seed.user(EMAIL)
    seed.sample_data(EMAIL)
    mail_feed = f"{ISSUER}/feeds/mail/readonly/"
    got = tokens_of(
        request_token(client, ISSUER, c.key, c.secret, f"{CAL_FEED} {mail_feed}", callback=CALLBACK)
    )
    back = _authorize(browser, got.token, scopes=(CAL,))  # the user ticks calendar only
    verifier = parse_qs(urlsplit(back.headers["location"]).query)["oauth_verifier"][0]
    access = tokens_of(access_token(client, ISSUER, c.key, c.secret, got, verifier))
    assert _events(client, c, access).status_code == 200
    mail = signed(
        client,
        signer(c.key, c.secret, token=access.token, token_secret=access.secret),
        "GET",
        f"{ISSUER}/data/v1/mail/messages",
    )
    assert mail.status_code == 403 and mail.json()["error"] == "insufficient_scope"


def test_parameters_in_query_header_or_body(seed, client) -> None:  # AUTH1-3 (PLATFORM_RULES §3 transport)
    c = consumer(seed)
    url = f"{ISSUER}/accounts/OAuthGetRequestToken"
    # gdata v1: GET, everything (oauth_* too) in the query.
    v1 = signed(
        client, signer(c.key, c.secret, callback="oob", where="QUERY"), "GET", url, {"scope": CAL_FEED}
    )
    assert v1.status_code == 200, v1.text
    # gdata v2: POST, an empty body, scope in the query, oauth_* in the header.
    v2 = signed(
        client,
        signer(c.key, c.secret, callback="oob"),
        "POST",
        url + "?scope=" + CAL_FEED.replace(":", "%3A"),
    )
    assert v2.status_code == 200, v2.text
    # gapi-ocaml: POST, scope and xoauth_displayname form-encoded; oauth_* in the body too.
    ocaml = signed(
        client,
        signer(c.key, c.secret, callback="oob", where="BODY"),
        "POST",
        url,
        {"scope": CAL_FEED, "xoauth_displayname": "OCaml"},
    )
    assert ocaml.status_code == 200, ocaml.text


def test_request_token_lives_one_hour(seed, client, browser) -> None:  # AUTH1-4
    c = consumer(seed)
    seed.user(EMAIL)
    got = tokens_of(request_token(client, ISSUER, c.key, c.secret, CAL_FEED, callback=CALLBACK))
    with seed.db.unit_of_work() as s:
        row = s.query(LegacyRequest).one()
        assert row.expires_at - row.created_at == LIFETIME == 3600
        row.created_at -= 3601
        row.expires_at -= 3601
    page = approval_page(browser, f"/accounts/OAuthAuthorizeToken?oauth_token={got.token}", EMAIL)
    assert (
        page.status_code == 400 and "This request has expired" in page.text and "token_expired" in page.text
    )
    late = access_token(client, ISSUER, c.key, c.secret, got, "ANYTHING")
    assert late.status_code == 401 and form_body(late)["oauth_problem"] == "token_expired"


def test_only_an_authorized_token_is_exchanged(seed, client, browser) -> None:  # AUTH1-5
    c = consumer(seed)
    seed.user(EMAIL)
    got = tokens_of(request_token(client, ISSUER, c.key, c.secret, CAL_FEED, callback=CALLBACK))
    early = access_token(client, ISSUER, c.key, c.secret, got, "GUESS")
    assert early.status_code == 401 and form_body(early)["oauth_problem"] == "permission_unknown"
    back = _authorize(browser, got.token)
    verifier = parse_qs(urlsplit(back.headers["location"]).query)["oauth_verifier"][0]
    # Another consumer cannot exchange it, even signing with its own secret.
    other = consumer(seed, domain="other.example.org")
    stolen = access_token(client, ISSUER, other.key, other.secret, got, verifier)
    assert stolen.status_code == 401 and form_body(stolen)["oauth_problem"] == "token_rejected"
    # A wrong verifier uses the request token up: guessing is one try.
    wrong = access_token(client, ISSUER, c.key, c.secret, got, "WRONGVERIFIER")
    body = form_body(wrong)
    assert wrong.status_code == 400 and body["oauth_problem"] == "parameter_rejected"
    assert body["oauth_parameters_rejected"] == "oauth_verifier"
    right = access_token(client, ISSUER, c.key, c.secret, got, verifier)
    assert right.status_code == 401 and form_body(right)["oauth_problem"] == "token_used"


def test_denied_request_gives_the_callback_no_verifier(seed, client, browser) -> None:  # AUTH1-7
    c = consumer(seed)
    seed.user(EMAIL)
    got = tokens_of(request_token(client, ISSUER, c.key, c.secret, CAL_FEED, callback=CALLBACK))
    back = _authorize(browser, got.token, allow=False)
    assert back.status_code == 302
    q = parse_qs(urlsplit(back.headers["location"]).query)
    assert q["oauth_problem"] == ["user_refused"] and q["state"] == ["xyz"] and "oauth_verifier" not in q
    refused = access_token(client, ISSUER, c.key, c.secret, got, "X")
    assert refused.status_code == 401 and form_body(refused)["oauth_problem"] == "permission_denied"
    again = approval_page(browser, f"/accounts/OAuthAuthorizeToken?oauth_token={got.token}", EMAIL)
    assert again.status_code == 400 and "already answered" in again.text


def test_eleventh_token_revokes_the_oldest(seed, client, browser) -> None:  # AUTH1-12
    c = consumer(seed)
    seed.user(EMAIL)
    seed.sample_data(EMAIL)
    issued = []
    for _ in range(11):
        got = tokens_of(request_token(client, ISSUER, c.key, c.secret, CAL_FEED, callback=CALLBACK))
        back = _authorize(browser, got.token)
        verifier = parse_qs(urlsplit(back.headers["location"]).query)["oauth_verifier"][0]
        issued.append(tokens_of(access_token(client, ISSUER, c.key, c.secret, got, verifier)))
    oldest = _events(client, c, issued[0])
    assert oldest.status_code == 401 and "token_rejected" in oldest.json()["error_description"]
    assert _events(client, c, issued[1]).status_code == 200
    assert _events(client, c, issued[10]).status_code == 200


def test_consumer_can_never_use_oauth2(seed, client) -> None:  # AUTH1-13 (a consumer is no OAuth 2.0 client)
    grants = {g for gs in GRANTS.values() for g in gs} | {"implicit", "password"}
    assert not any(may_use_grant("oauth1", g) for g in grants)
    c = consumer(seed)
    r = client.post(
        "/token", data={"grant_type": "client_credentials", "client_id": c.key, "client_secret": c.secret}
    )
    assert r.status_code in (400, 401) and r.json()["error"] in ("invalid_client", "unauthorized_client")
    a = client.get(
        "/authorize",
        params={
            "client_id": c.key,
            "response_type": "code",
            "redirect_uri": "https://app.example.org/cb",
            "scope": "openid",
        },
    )
    assert a.status_code == 400
