"""Real OAuth 1.0a clients nobody here wrote, against a live server (uvicorn in a child process):
requests-oauthlib's ``OAuth1Session`` (HMAC-SHA1 and RSA-SHA1) and Authlib's ``OAuth1Session``
(requests) and ``OAuth1Client`` (httpx), three-legged with ``scope``, then a data API call.
The user's approval is driven over HTTP like a browser (AUTH1-1, AUTH1-2, AUTH1-3, AUTH1-6, AUTH1-7).
"""

from __future__ import annotations

from collections.abc import Iterator
from urllib.parse import quote

import httpx
import pytest
import requests
from authlib.integrations.httpx_client import OAuth1Client
from authlib.integrations.requests_client import OAuth1Session as AuthlibSession
from oauthlib.oauth1 import SIGNATURE_RSA
from requests_oauthlib import OAuth1Session

from tests.support.accounts import served
from tests.support.browserless import Browser
from tests.support.live import LiveServer
from tests.support.matching import matched
from tests.support.oauth1 import PRIVATE_TEST_KEY, approval_page, certificate, consumer, decide
from tests.support.seed import Seeder

EMAIL = "grace@example.org"
CALLBACK = "https://app.example.org/oauth/back?session=42"


@pytest.fixture
def live(database_url: str) -> Iterator[tuple[LiveServer, Seeder]]:
    with served(database_url) as (server, seed):
        seed.user(EMAIL)
        seed.sample_data(EMAIL)
        yield server, seed


def _approve(server: LiveServer, authorize_url: str, scope: str) -> str:
    """A user signs in and allows: the URL the browser is sent back to."""
    with httpx.Client() as http:
        browser = Browser(http, server.url)
        path = authorize_url.removeprefix(server.url)
        back = decide(browser, approval_page(browser, path, EMAIL), [scope])
        assert back.status_code == 302, back.text[:2000]
        return back.headers["location"]


def _urls(server: LiveServer) -> tuple[str, str, str, str]:
    feed = f"{server.url}/feeds/calendar/readonly/"
    return (
        f"{server.url}/accounts/OAuthGetRequestToken?scope={quote(feed, safe='')}",
        f"{server.url}/accounts/OAuthAuthorizeToken",
        f"{server.url}/accounts/OAuthGetAccessToken",
        f"{server.url}/auth/calendar.readonly",
    )


@pytest.mark.parametrize("method", ["HMAC-SHA1", "RSA-SHA1"])
def test_requests_oauthlib(live, method: str) -> None:  # AUTH1-1 AUTH1-2 AUTH1-3 AUTH1-6 AUTH1-7 AUTH1-13
    server, seed = live
    rsa = method == "RSA-SHA1"
    c = consumer(seed, certificate=certificate() if rsa else None)
    request_url, authorize_url, access_url, scope = _urls(server)
    kw = (
        {"signature_method": SIGNATURE_RSA, "rsa_key": PRIVATE_TEST_KEY}
        if rsa
        else {"client_secret": c.secret}
    )
    oauth = OAuth1Session(c.key, callback_uri=CALLBACK, **kw)
    request_token = oauth.fetch_request_token(request_url)
    assert request_token["oauth_callback_confirmed"] == "true"
    back = _approve(server, oauth.authorization_url(authorize_url), scope)
    assert back.startswith(CALLBACK + "&")
    oauth.parse_authorization_response(back)
    token = oauth.fetch_access_token(access_url)
    assert set(token) == {"oauth_token", "oauth_token_secret"}
    events = oauth.get(f"{server.url}/data/v1/calendar/events")
    assert events.status_code == 200, events.text
    assert events.json()["events"]
    # The same signed request again is a replay.
    prepared = oauth.get(f"{server.url}/data/v1/calendar/events?max=1").request
    replay = requests.Session().send(prepared)
    assert replay.status_code == 401 and "nonce_used" in replay.text


def test_authlib_requests_session(live) -> None:  # AUTH1-1 AUTH1-2 AUTH1-6 AUTH1-7
    server, seed = live
    c = consumer(seed)
    request_url, authorize_url, access_url, scope = _urls(server)
    session = AuthlibSession(c.key, c.secret, redirect_uri=CALLBACK)
    session.fetch_request_token(request_url)
    back = _approve(server, session.create_authorization_url(authorize_url), scope)
    session.parse_authorization_response(back)
    token = session.fetch_access_token(access_url)
    assert token["oauth_token"] and token["oauth_token_secret"]
    r = session.get(f"{server.url}/data/v1/calendar/events")
    assert r.status_code == 200 and r.json()["events"]


def test_authlib_httpx_client(live) -> None:  # AUTH1-1 AUTH1-2 AUTH1-6 AUTH1-8
    server, seed = live
    c = consumer(seed)
    request_url, authorize_url, access_url, scope = _urls(server)
    with OAuth1Client(c.key, c.secret, redirect_uri="oob") as client:
        client.fetch_request_token(request_url)
        url = client.create_authorization_url(authorize_url)
        with httpx.Client() as http:
            browser = Browser(http, server.url)
            done = decide(browser, approval_page(browser, url.removeprefix(server.url), EMAIL), [scope])
        assert done.status_code == 200 and "Your verification code" in done.text
        code = matched(r'<output class="verifier"[^>]*>([^<]+)</output>', done.text)
        token = client.fetch_access_token(access_url, verifier=code)
        assert token["oauth_token"]
        r = client.get(f"{server.url}/data/v1/calendar/events")
        assert r.status_code == 200 and r.json()["events"]
