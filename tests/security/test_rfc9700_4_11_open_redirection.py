"""RFC 9700 §4.11 Open Redirection (and RFC 6819 §4.2.4, §4.1.5).

§4.11.2: the authorization server must never become an open redirector. Error responses go only
to a redirect URI registered for the client; with an unknown client or an unregistered URI the user
gets a page. The sign-in page's ``next`` only ever leads to a path on this server.
"""

from __future__ import annotations

from urllib.parse import urlencode

from starlette.testclient import TestClient

from tests.conftest import ISSUER
from tests.security.support import USER, error_page_problem, listing, redirect_params, single
from tests.support.browserless import CSRF_RE, NEXT_RE, Browser, form_value, pkce_pair
from tests.support.flows import PASSWORD
from tests.support.seed import Seeder

EVIL = "https://evil.example/phish"


# SEC-7 OWASP A01:2021 Broken Access Control: CWE-601: errors never redirect to an unregistered address.
def test_4_11_2_the_authorization_server_is_no_open_redirector(
    seed: Seeder, browser: Browser, client: TestClient
) -> None:
    """RFC 9700 §4.11.2, RFC 6819 §4.2.4 and §4.1.5: requests built to fail (unknown client, bad
    response type, bad scope, ``prompt=none``, PKCE ``plain``) with an attacker's redirect URI get
    an error page, never a redirect; the same errors with the registered URI go there and only
    there (control). The sign-in page's ``next`` leads only to a path on this server."""
    c = seed.client("web")
    seed.user(USER)
    _v, challenge = pkce_pair()
    base = {
        "client_id": c.client_id,
        "response_type": "code",
        "scope": "openid",
        "state": "s",
        "code_challenge": challenge,
        "code_challenge_method": "S256",
    }
    failing = [
        ({"client_id": "no-such-client"}, "invalid_client"),
        ({"client_id": ""}, "invalid_client"),
        ({"response_type": "token"}, "unsupported_response_type"),
        ({"scope": "openid https://nope.example/x"}, "invalid_scope"),
        ({"prompt": "none"}, "login_required"),
        ({"code_challenge_method": "plain"}, "invalid_request"),
    ]
    problems = {}
    for change, error in failing:
        for redirect_uri in (EVIL, EVIL + "?" + urlencode({"to": c.redirect_uris[0]})):
            r = browser.get(
                ISSUER + "/authorize?" + urlencode({**base, **change, "redirect_uri": redirect_uri})
            )
            # The page names the error, or the redirect URI the request could not be answered at.
            if problem := error_page_problem(r, (error, "invalid_request")):
                problems[f"{change} {redirect_uri}"] = problem
        if error == "invalid_client":
            continue
        # Control: with the registered redirect URI the error is delivered there, and only there.
        r = browser.get(
            ISSUER + "/authorize?" + urlencode({**base, **change, "redirect_uri": c.redirect_uris[0]})
        )
        assert r.headers["location"].startswith(c.redirect_uris[0] + "?"), (change, r.headers.get("location"))
        assert single(redirect_params(r), "error") == error, change
    assert not problems, "not refused with a page:\n" + listing(problems)
    _sign_in_next_stays_on_this_server(client)


#: ``next`` values that would lead off the server in some browser.
OFFSITE_NEXT = [
    EVIL,
    "//evil.example/phish",
    "///evil.example/phish",
    "/\\evil.example/phish",
    "\\\\evil.example/phish",
    "/\t/evil.example/phish",
    "/\n/evil.example/phish",
    " //evil.example/phish",
    "https:evil.example/phish",
    "javascript:alert(document.domain)",
    "http://testserver.local@evil.example/",
    "%2F%2Fevil.example/phish",
]


def _sign_in_next_stays_on_this_server(client: TestClient) -> None:
    """Whatever ``next`` says, the sign-in page keeps only a local path, and after a successful
    sign-in the 303 goes to a path on this server (a local ``next`` is honoured: control)."""
    landed = {}
    for target in [*OFFSITE_NEXT, "/account?tab=apps"]:
        client.cookies.clear()
        page = client.get("/signin?" + urlencode({"next": target}))
        assert page.status_code == 200
        shown = form_value(page.text, NEXT_RE)
        assert "evil.example" not in shown and "javascript" not in shown, (target, shown)
        r = client.post(
            "/signin",
            data={
                "csrf": form_value(page.text, CSRF_RE),
                "flow": "",
                "email": USER,
                "password": PASSWORD,
                "next": target,
            },
            follow_redirects=False,
        )
        assert r.status_code == 303, (target, r.status_code, r.text[:300])
        landed[target] = r.headers["location"]
    offsite = {
        t: loc for t, loc in landed.items() if not loc.startswith("/") or loc.startswith("//") or "\\" in loc
    }
    assert not offsite, "sign-in led off the server:\n" + listing(offsite)
    assert all(landed[t] == "/account" for t in OFFSITE_NEXT), landed
    assert landed["/account?tab=apps"] == "/account?tab=apps"
