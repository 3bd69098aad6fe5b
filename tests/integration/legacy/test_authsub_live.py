"""AuthSub against a real server on a socket (AUTH3-1..3, AUTH3-5, AUTH3-7), on SQLite and
PostgreSQL; and the operator's switch."""

from __future__ import annotations

import httpx
from starlette.testclient import TestClient

from consentry.app import create_app
from consentry.settings import Settings
from tests.conftest import ISSUER
from tests.support.accounts import served
from tests.support.authsub import (
    approve_all,
    certificate_for,
    lines,
    quoted,
    registered_app,
    secure_header,
    token_from,
    v1_url,
)
from tests.support.browserless import Browser

ADA = "ada@example.org"
CAL_FEED = "http://www.google.com/calendar/feeds/"


def test_secure_journey_over_a_socket(database_url: str) -> None:
    # AUTH3-1, AUTH3-2, AUTH3-3, AUTH3-5, AUTH3-7
    with served(database_url) as (server, seed):
        seed.user(ADA)
        registered_app(seed, certificate=certificate_for())
        base = server.url
        with httpx.Client(base_url=base, timeout=20) as http:
            browser = Browser(http, base)
            url = v1_url(base, "https://calgulp.example.com/cb?state=abc", CAL_FEED, secure=True)
            back = approve_all(browser, url, ADA, [f"{base}/auth/calendar"])
            assert back.status_code == 303 and back.headers["location"].startswith(
                "https://calgulp.example.com/cb?state=abc&token="
            )
            single = token_from(back.headers["location"])
            upgrade_url = f"{base}/accounts/AuthSubSessionToken"
            with httpx.Client(timeout=20) as app:  # the app's own HTTP client: no cookies
                r = app.get(
                    upgrade_url,
                    headers={"Authorization": secure_header(single, "GET", upgrade_url, style="v1")},
                )
                assert r.status_code == 200, r.text
                session = lines(r.text)["Token"]
                events = f"{base}/data/v1/calendar/events?max=5"
                ok = app.get(
                    events, headers={"Authorization": secure_header(session, "GET", events, style="v2")}
                )
                assert ok.status_code == 200, ok.text
                revoke_url = f"{base}/accounts/AuthSubRevokeToken"
                done = app.get(
                    revoke_url, headers={"Authorization": secure_header(session, "GET", revoke_url)}
                )
                assert done.status_code == 200
                after = app.get(events, headers={"Authorization": secure_header(session, "GET", events)})
                assert after.status_code == 401


def test_switched_off_authsub_answers_404(settings: Settings) -> None:
    # AUTH3 (issue 15 "Everywhere"): the operator's switch; the other endpoints stay
    app = create_app(settings.model_copy(update={"legacy_authsub": False}))
    with TestClient(app, base_url=ISSUER) as c:
        for path in (
            "/accounts/AuthSubRequest",
            "/accounts/AuthSubSessionToken",
            "/accounts/AuthSubTokenInfo",
        ):
            r = c.get(path, headers={"authorization": quoted("x")})
            assert r.status_code == 404 and "turned off" in r.text
        data = c.get("/data/v1/calendar/events", headers={"authorization": quoted("x")})
        assert data.status_code == 401
