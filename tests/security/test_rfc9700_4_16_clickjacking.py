"""RFC 9700 §4.16 Clickjacking (and RFC 6819 §4.4.1.9).

A page of the authorization server framed invisibly by another site can be made to take the
user's clicks (Allow, Sign in). Every HTML page — whatever route, status or signed-in state —
forbids framing twice: ``X-Frame-Options: DENY`` and CSP ``frame-ancestors 'none'``.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any
from urllib.parse import urlencode

import httpx
from starlette.routing import Route

from tests.conftest import ISSUER
from tests.security.support import MAIL, USER, listing
from tests.support.browserless import CSRF_RE, Browser, form_value, pkce_pair
from tests.support.flows import PASSWORD, auth_params
from tests.support.seed import Seeder

HTML = {"accept": "text/html,application/xhtml+xml"}


def _framing_problem(resp: httpx.Response) -> str | None:
    csp = [d.strip() for d in resp.headers.get("content-security-policy", "").split(";")]
    if "frame-ancestors 'none'" not in csp:
        return f"CSP is {resp.headers.get('content-security-policy')!r}"
    if resp.headers.get("x-frame-options") != "DENY":
        return f"X-Frame-Options is {resp.headers.get('x-frame-options')!r}"
    return None


def _routes(routes: list[Any]) -> Iterator[Route]:
    """Every route, including those of included routers (FastAPI keeps them in the router it was
    given, with their prefix already in their path)."""
    for route in routes:
        included = getattr(route, "original_router", None)
        if included is not None:
            yield from _routes(included.routes)
        elif isinstance(route, Route):
            yield route


def _get_paths(app: Any) -> list[str]:
    """Every GET route without path parameters, plus a page of a parametrised one and a 404."""
    paths = {r.path for r in _routes(app.routes) if "GET" in (r.methods or ()) and "{" not in r.path}
    assert {"/signin", "/account", "/device", "/authorize"} <= paths, sorted(paths)
    return [*sorted(paths), "/docs/operators", "/no-such-page"]


# SEC-7 OWASP A05:2021 Security Misconfiguration: CWE-1021: every page sends the anti-framing security
#   headers.
def test_4_16_every_html_page_refuses_to_be_framed(seed: Seeder, browser: Browser, app: Any) -> None:
    """RFC 9700 §4.16: each GET route (signed out and signed in), the consent page, the account
    chooser, the device approval page, sign-in with a wrong password and the error pages."""
    c = seed.client("web")
    seed.user(USER)
    seed.user("second@example.org")
    device = seed.client("device")
    pages = {}
    for path in _get_paths(app):
        pages[f"signed out {path}"] = browser.get(ISSUER + path, headers=HTML)
    _v, challenge = pkce_pair()
    signin = browser.authorize(auth_params(c, challenge, f"openid {MAIL}"))
    pages["sign-in"] = signin
    pages["sign-in, wrong password"] = browser.sign_in(signin, USER, "wrong-password-1")
    pages["consent"] = browser.sign_in(
        browser.authorize(auth_params(c, challenge, f"openid {MAIL}")), USER, PASSWORD
    )
    for path in _get_paths(app):
        pages[f"signed in {path}"] = browser.get(ISSUER + path, headers=HTML)
    pages["authorize error"] = browser.get(ISSUER + "/authorize?" + urlencode({"client_id": "nope"}))
    page = browser.follow(browser.get(ISSUER + "/signin?next=/account"))
    browser.sign_in(page, "second@example.org", PASSWORD)
    pages["account chooser"] = browser.authorize(auth_params(c, challenge, f"openid {MAIL}"))
    code = browser.http.post(ISSUER + "/device/code", data={"client_id": device.client_id, "scope": "openid"})
    assert code.status_code == 200, code.text
    device_page = browser.get(ISSUER + "/device", headers=HTML)
    pages["device"] = device_page
    pages["device approval"] = browser.http.post(
        ISSUER + "/device",
        data={
            "csrf": form_value(device_page.text, CSRF_RE),
            "user_code": code.json()["user_code"],
            "step": "lookup",
        },
    )
    html = {name: r for name, r in pages.items() if r.headers.get("content-type", "").startswith("text/html")}
    for must in (
        "sign-in",
        "consent",
        "account chooser",
        "device",
        "device approval",
        "authorize error",
        "signed in /account",
        "signed out /no-such-page",
    ):
        assert must in html, f"{must} did not answer an HTML page ({pages[must].status_code})"
    assert "wants to access your account" in html["consent"].text
    assert "wants to access your account" in html["device approval"].text
    problems = {name: p for name, r in html.items() if (p := _framing_problem(r))}
    assert not problems, "frameable pages:\n" + listing(problems)
