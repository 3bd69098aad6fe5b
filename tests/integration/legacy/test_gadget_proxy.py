"""The widget OAuth proxy over HTTP (AUTH5-1), on SQLite and PostgreSQL.

Without a handle the proxy answers with an approval URL; the approval is the OAuth 2.0 gate and
consent; the handle comes back in the fragment of the widget's registered redirect URI; the retry
with it reads the data. The token the proxy holds is sealed at rest.
"""

from __future__ import annotations

import re
from urllib.parse import parse_qs, urlencode, urlsplit

from sqlalchemy import select

from consentry.domain.tokens.store import Outcome
from consentry.storage.tables import GadgetToken, Token
from tests.conftest import ISSUER
from tests.integration.account import HTML, csrf, post, sign_in
from tests.integration.legacy.clientlogin_steps import http, legacy_app, seeded, small
from tests.support.browserless import CSRF_RE, DISCLOSURE_RE, Browser, form_value
from tests.support.races import client_disabled_before_commit

__all__ = ["http", "legacy_app", "seeded", "small"]  # fixtures
ADA = "ada@example.org"
WIDGET = "https://widget.example.net/oauth-done.html"
ORIGIN = "https://widget.example.net"
EVENTS = "/data/v1/calendar/events"
READONLY = f"{ISSUER}/auth/calendar.readonly"
HANDLE = "X-Consentry-Gadget-Handle"


def proxied(http, widget: str, handle: str = "", **extra: str):
    headers = {"origin": ORIGIN, **({HANDLE: handle} if handle else {})}
    params = {"gadget": widget, "url": EVENTS, "scope": "calendar.readonly", **extra}
    return http.get("/gadgets/proxy", params=params, headers=headers)


def decide(browser: Browser, approval_url: str, allow: bool = True):
    """Consent in the pop-up: the answer to the decision."""
    page = browser.get(approval_url, headers=HTML)
    assert page.status_code == 200, page.text
    data = [
        ("csrf", form_value(page.text, CSRF_RE)),
        ("disclosure", form_value(page.text, DISCLOSURE_RE)),
        ("step", "decide"),
        ("action", "allow" if allow else "deny"),
        ("scope", READONLY),
    ]
    data += [
        (k, v)
        for k, v in re.findall(
            r'<input type="hidden" name="(gadget|gadget_scope|gadget_redirect|gadget_state)" value="([^"]*)"',
            page.text,
        )
    ]
    return browser.http.post(
        ISSUER + "/gadgets/approve",
        content=urlencode(data),
        headers={**HTML, "content-type": "application/x-www-form-urlencoded"},
        follow_redirects=False,
    )


def approved(browser: Browser, approval_url: str, allow: bool = True) -> str:
    """Consent in the pop-up; the fragment of the widget's redirect page."""
    done = decide(browser, approval_url, allow)
    assert done.status_code == 303, done.text
    where = done.headers["location"]
    assert where.startswith(WIDGET + "#")
    return urlsplit(where).fragment


def test_no_handle_gets_an_approval_url_and_the_retry_with_the_handle_reads_the_data(http, seeded) -> None:
    # AUTH5-1
    seeded.user(ADA)
    widget = seeded.client(redirect_uris=[WIDGET])
    first = proxied(http, widget.client_id, state="s-41")
    assert first.status_code == 200 and first.json()["status"] == "approval_required"
    assert first.headers["access-control-allow-origin"] == ORIGIN
    url = first.json()["oauthApprovalUrl"]
    assert url.startswith(f"{ISSUER}/gadgets/approve?")
    assert parse_qs(urlsplit(url).query) == {
        "gadget": [widget.client_id],
        "scope": ["calendar.readonly"],
        "redirect_uri": [WIDGET],
        "state": ["s-41"],
    }
    browser = Browser(http, ISSUER)
    sign_in(browser, ADA)
    fragment = parse_qs(approved(browser, url))
    assert fragment["state"] == ["s-41"]  # the widget's redirect page checks it: no handle fixation
    handle = fragment["gadget_handle"][0]
    again = proxied(http, widget.client_id, handle)
    assert again.status_code == 200 and "events" in again.json()
    # Held sealed: neither the handle nor the token is stored in clear.
    with seeded.db.unit_of_work() as s:
        row = s.execute(select(GadgetToken.handle_hash, GadgetToken.token_sealed)).one()
        token = s.execute(select(Token.grant_type, Token.scope)).one()
    assert handle not in row.handle_hash and handle.encode() not in row.token_sealed
    assert token.grant_type == "legacy:gadget" and token.scope == READONLY


def test_removing_access_sends_the_widget_back_to_approval(http, seeded) -> None:
    # AUTH5-1 + issue 15 "Everywhere": the account page's Remove access ends what the proxy holds
    seeded.user(ADA)
    widget = seeded.client(redirect_uris=[WIDGET], project="Weather Widget")
    browser = Browser(http, ISSUER)
    sign_in(browser, ADA)
    handle = parse_qs(approved(browser, proxied(http, widget.client_id).json()["oauthApprovalUrl"]))[
        "gadget_handle"
    ][0]
    assert proxied(http, widget.client_id, handle).status_code == 200
    from consentry.storage.tables import Project

    with seeded.db.unit_of_work() as s:
        pid = s.scalar(select(Project.id).where(Project.name == "Weather Widget"))
    assert post(browser, f"/account/apps/{pid}/revoke", {"csrf": csrf(browser)}).status_code == 303
    after = proxied(http, widget.client_id, handle)
    assert after.status_code == 200 and after.json()["status"] == "approval_required"
    with seeded.db.unit_of_work() as s:
        assert s.scalar(select(GadgetToken.id)) is None  # forgotten


def test_a_denied_approval_returns_an_error_in_the_fragment_and_stores_nothing(http, seeded) -> None:
    # AUTH5-1
    seeded.user(ADA)
    widget = seeded.client(redirect_uris=[WIDGET])
    browser = Browser(http, ISSUER)
    sign_in(browser, ADA)
    fragment = approved(browser, proxied(http, widget.client_id).json()["oauthApprovalUrl"], allow=False)
    assert parse_qs(fragment) == {"gadget_error": ["access_denied"]}
    with seeded.db.unit_of_work() as s:
        assert s.scalar(select(GadgetToken.id)) is None and s.scalar(select(Token.id)) is None


def test_the_proxy_reaches_only_the_data_apis_and_only_registered_widgets(http, seeded) -> None:
    # AUTH5-1: no SSRF, no unregistered caller, no unregistered return address
    widget = seeded.client(redirect_uris=[WIDGET])
    for url in (
        "https://evil.example/x",
        "//evil.example/data/v1/x",
        "/token",
        "/data/v1/../admin",
        "/data/v1\\x",
    ):
        bad = proxied(http, widget.client_id, url=url)
        assert bad.status_code == 400 and bad.json()["error"] == "invalid_request", url
    unknown = proxied(http, "no-such-widget")
    assert unknown.status_code == 400 and unknown.json()["error"] == "invalid_client"
    elsewhere = proxied(http, widget.client_id, redirect_uri="https://evil.example/cb")
    assert elsewhere.status_code == 400
    page = http.get(
        "/gadgets/approve",
        params={
            "gadget": widget.client_id,
            "scope": "calendar.readonly",
            "redirect_uri": "https://evil.example/cb",
        },
        headers=HTML,
    )
    assert page.status_code == 400 and "did not register" in page.text


def test_a_forged_handle_reads_nothing(http, seeded) -> None:
    # AUTH5-1: a handle is a secret the proxy only recognises by its keyed hash
    widget = seeded.client(redirect_uris=[WIDGET])
    forged = proxied(http, widget.client_id, "x" * 43)
    assert forged.status_code == 200 and forged.json()["status"] == "approval_required"


def test_cors_only_for_the_widgets_own_origin(http, seeded) -> None:
    # AUTH5-1: another site's page cannot read the proxy's answers
    widget = seeded.client(redirect_uris=[WIDGET])
    pre = http.options(
        "/gadgets/proxy",
        params={"gadget": widget.client_id},
        headers={"origin": ORIGIN, "access-control-request-method": "GET"},
    )
    assert pre.status_code == 204 and pre.headers["access-control-allow-origin"] == ORIGIN
    assert HANDLE.lower() in pre.headers["access-control-allow-headers"]
    other = http.get(
        "/gadgets/proxy",
        params={"gadget": widget.client_id, "url": EVENTS},
        headers={"origin": "https://evil.example"},
    )
    assert "access-control-allow-origin" not in other.headers


def test_an_app_disabled_while_the_user_decided_is_given_nothing(http, legacy_app, seeded) -> None:
    # AUTH5-1 (ISSUE-10: the approval commits with the client snapshot the page relied on)
    seeded.user(ADA)
    widget = seeded.client(redirect_uris=[WIDGET])
    browser = Browser(http, ISSUER)
    sign_in(browser, ADA)
    url = proxied(http, widget.client_id).json()["oauthApprovalUrl"]
    with client_disabled_before_commit(legacy_app, seeded.db) as outcomes:
        refused = decide(browser, url)
    assert outcomes == [Outcome.CLIENT_CHANGED]
    assert refused.status_code == 409 and refused.headers["content-type"].startswith("text/html")
    assert "The app changed while you were deciding, so it was given no access." in refused.text
    with seeded.db.unit_of_work() as s:
        assert s.scalar(select(GadgetToken.id)) is None and s.scalar(select(Token.id)) is None
