"""OAuth 1.0a without a callback, on another device, with OpenID, and who the page says is asking
(AUTH1-8, AUTH1-9, AUTH1-10, AUTH1-11, AUTH1-14), on SQLite and PostgreSQL."""

from __future__ import annotations

import re
from html import unescape

from joserfc import jwt
from joserfc.jwk import KeySet

from tests.conftest import ISSUER
from tests.support.matching import matched
from tests.support.oauth1 import (
    access_token,
    approval_page,
    consumer,
    decide,
    form_body,
    request_token,
    signed,
    signer,
    submit,
    tokens_of,
)

EMAIL = "ada@example.org"
CAL_FEED = f"{ISSUER}/feeds/calendar/"
CAL = f"{ISSUER}/auth/calendar"
MAIL = f"{ISSUER}/auth/mail"
CODE_RE = re.compile(r'<output class="verifier"[^>]*>([^<]+)</output>')


def _page(browser, token: str, extra: str = ""):
    return approval_page(browser, f"/accounts/OAuthAuthorizeToken?oauth_token={token}{extra}", EMAIL)


def test_oob_shows_a_code_to_type(seed, client, browser) -> None:  # AUTH1-8
    c = consumer(seed)
    seed.user(EMAIL)
    got = tokens_of(request_token(client, ISSUER, c.key, c.secret, CAL_FEED, callback="oob"))
    done = decide(browser, _page(browser, got.token, "&hl=fr&btmpl=mobile"), [CAL])
    assert done.status_code == 200 and "Your verification code" in done.text
    code = matched(CODE_RE, done.text)
    assert re.fullmatch(r"[A-Z]{4}-[A-Z]{4}-[A-Z]{4}", code)
    # The user types it as they like: lower case, without dashes.
    typed = code.replace("-", " ").lower()
    assert access_token(client, ISSUER, c.key, c.secret, got, typed).status_code == 200


def test_no_callback_shows_a_verification_number(seed, client, browser) -> None:  # AUTH1-9
    c = consumer(seed)
    seed.user(EMAIL)
    got = tokens_of(request_token(client, ISSUER, c.key, c.secret, CAL_FEED, callback=None))
    done = decide(browser, _page(browser, got.token), [CAL])
    assert done.status_code == 200 and "Your verification number" in done.text
    number = matched(CODE_RE, done.text)
    assert re.fullmatch(r"\d{10}", number)
    assert access_token(client, ISSUER, c.key, c.secret, got, number).status_code == 200


def test_oob_denied_shows_a_page(seed, client, browser) -> None:  # AUTH1-8
    c = consumer(seed)
    seed.user(EMAIL)
    got = tokens_of(request_token(client, ISSUER, c.key, c.secret, CAL_FEED, callback="oob"))
    done = decide(browser, _page(browser, got.token), [], allow=False)
    assert done.status_code == 200 and "Access denied" in done.text and "verifier" not in done.text
    assert (
        form_body(access_token(client, ISSUER, c.key, c.secret, got, "x"))["oauth_problem"]
        == "permission_denied"
    )


def test_device_mode(seed, client, browser) -> None:  # AUTH1-10
    c = consumer(seed)
    seed.user(EMAIL)
    r = request_token(client, ISSUER, c.key, c.secret, CAL_FEED, callback=None, extra={"xoauth_device": "1"})
    body = form_body(r)
    assert body["xoauth_verification_url"] == f"{ISSUER}/accounts/OAuthDevice"
    code = body["xoauth_user_code"]
    assert re.fullmatch(r"[B-Z]{4}-[B-Z]{4}", code)
    got = tokens_of(r)
    waiting = access_token(client, ISSUER, c.key, c.secret, got, code)  # the app polls
    assert waiting.status_code == 401 and form_body(waiting)["oauth_problem"] == "permission_unknown"

    entry = approval_page(browser, "/accounts/OAuthDevice", EMAIL)
    assert entry.status_code == 200 and 'name="user_code"' in entry.text
    wrong = submit(browser, entry, [("user_code", "BBBB-BBBB")])
    assert wrong.status_code == 400 and "wrong or has expired" in wrong.text
    page = browser.follow(submit(browser, entry, [("user_code", code.lower().replace("-", ""))]))
    if 'action="/signin"' in page.text:
        page = browser.sign_in(page, EMAIL, "correct-horse-battery")
    done = decide(browser, page, [CAL])
    assert done.status_code == 200 and "Device connected" in done.text
    access = tokens_of(access_token(client, ISSUER, c.key, c.secret, got, code))
    assert access.token and access.secret


def test_openid_hybrid_returns_an_id_token(seed, client, browser) -> None:  # AUTH1-14
    c = consumer(seed)
    seed.user(EMAIL)
    got = tokens_of(
        request_token(client, ISSUER, c.key, c.secret, f"openid email {CAL_FEED}", callback="oob")
    )
    page = _page(browser, got.token)
    assert page.status_code == 200 and 'id="signin-h"' in page.text  # the sign-in part of the consent
    done = decide(browser, page, [CAL])
    code = matched(CODE_RE, done.text)
    body = form_body(access_token(client, ISSUER, c.key, c.secret, got, code))
    keys = KeySet.import_key_set(client.get("/jwks").json())
    claims = jwt.decode(body["xoauth_id_token"], keys).claims
    assert claims["iss"] == ISSUER and claims["aud"] == c.key and claims["azp"] == c.key
    assert claims["email"] == EMAIL and claims["sub"] and claims["exp"] > claims["iat"]
    # Without openid, no ID token.
    plain = tokens_of(request_token(client, ISSUER, c.key, c.secret, CAL_FEED, callback="oob"))
    code2 = matched(CODE_RE, decide(browser, _page(browser, plain.token), [CAL]).text)
    assert "xoauth_id_token" not in form_body(access_token(client, ISSUER, c.key, c.secret, plain, code2))


def _app_name(html: str) -> str:
    m = re.search(r'<span class="app-name">([^<]+)</span>', html)
    assert m, html[:2000]
    return unescape(m.group(1))


NOTICE = "cannot confirm this app's identity"


def test_display_names(seed, client, browser) -> None:  # AUTH1-11
    c = consumer(seed, name="Gadget Sync")
    seed.user(EMAIL)
    registered = tokens_of(request_token(client, ISSUER, c.key, c.secret, CAL_FEED))
    page = _page(browser, registered.token)
    assert _app_name(page.text) == "Gadget Sync" and NOTICE not in page.text

    renamed = tokens_of(
        request_token(
            client, ISSUER, c.key, c.secret, CAL_FEED, extra={"xoauth_displayname": "Totally Google"}
        )
    )
    page = _page(browser, renamed.token)
    assert _app_name(page.text) == "Totally Google" and NOTICE in page.text

    def anon(**kw):
        return tokens_of(request_token(client, ISSUER, "anonymous", "anonymous", CAL_FEED, **kw))

    for got, name in (
        (anon(extra={"xoauth_displayname": "Desk Calendar"}), "Desk Calendar"),
        (anon(callback="https://Calendar.Example.NET/done?x=1"), "calendar.example.net"),
        (anon(callback="oob"), "anonymous"),
    ):
        page = _page(browser, got.token)
        if 'name="screen"' in page.text:
            page = submit(browser, page, [("action", "continue")])
        assert _app_name(page.text) == name and NOTICE in page.text


def test_unregistered_app_meets_the_unverified_screen(seed, client, browser) -> None:  # AUTH1-11 AUTH1-13
    seed.user(EMAIL)
    seed.sample_data(EMAIL)
    got = tokens_of(
        request_token(client, ISSUER, "anonymous", "anonymous", f"{ISSUER}/feeds/mail/", callback="oob")
    )
    page = _page(browser, got.token)
    assert page.status_code == 200 and "This app has not been verified" in page.text
    back = submit(browser, page, [("action", "back")])  # "Back to safety": nothing shared
    assert back.status_code == 200 and "Access denied" in back.text
    refused = access_token(client, ISSUER, "anonymous", "anonymous", got, "x")
    assert form_body(refused)["oauth_problem"] == "permission_denied"
    # Going on past the screen: the consent page, then a working token.
    again = tokens_of(
        request_token(client, ISSUER, "anonymous", "anonymous", f"{ISSUER}/feeds/mail/", callback="oob")
    )
    done = decide(browser, _page(browser, again.token), [MAIL])
    code = matched(CODE_RE, done.text)
    access = tokens_of(access_token(client, ISSUER, "anonymous", "anonymous", again, code))
    mail = signed(
        client,
        signer("anonymous", "anonymous", token=access.token, token_secret=access.secret),
        "GET",
        f"{ISSUER}/data/v1/mail/messages",
    )
    assert mail.status_code == 200, mail.text


def test_hd_limits_the_account(seed, client, browser) -> None:  # AUTH0-5 (hd on the authorize step)
    c = consumer(seed)
    seed.user(EMAIL)
    got = tokens_of(request_token(client, ISSUER, c.key, c.secret, CAL_FEED))
    _page(browser, got.token)  # signed in as ada@example.org (no organization)
    page = browser.get(f"{ISSUER}/accounts/OAuthAuthorizeToken?oauth_token={got.token}&hd=acme.example")
    assert page.status_code == 303 and page.headers["location"].startswith("/signin?next=")
    assert "hd%3Dacme.example" in page.headers["location"]
