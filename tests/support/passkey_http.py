"""Passkey ceremonies over HTTP, as static/passkeys.js makes them (ACCT-3 tests).

The software authenticator (tests/support/webauthn_authenticator.py) answers; these helpers carry
the JSON to and from the server with the page's CSRF token, like the script does.
"""

from __future__ import annotations

import re
from typing import Any

import httpx

from tests.support.accounts import csrf_of, sign_in
from tests.support.browserless import Browser
from tests.support.flows import PASSWORD
from tests.support.seed import Seeder
from tests.support.webauthn_authenticator import Authenticator

DATA_CSRF = re.compile(r'data-csrf="([^"]+)"')


def csrf_on(browser: Browser, path: str) -> str:
    page = browser.get(path)
    assert page.status_code == 200, (path, page.status_code, page.text[:500])
    m = DATA_CSRF.search(page.text)
    assert m, f"no data-csrf on {path}:\n{page.text[:2000]}"
    return m.group(1)


def post_json(browser: Browser, path: str, csrf: str, body: Any) -> httpx.Response:
    return browser.http.post(
        browser.base + path, json=body, headers={"X-CSRF-Token": csrf}, follow_redirects=False
    )


def sign_in_with_password(browser: Browser, email: str, password: str = PASSWORD) -> httpx.Response:
    done = sign_in(browser, email, password)
    assert done.status_code == 303, done.text[:1000]
    return done


def enrol(browser: Browser, auth: Authenticator, name: str = "Laptop", **create: Any) -> httpx.Response:
    """Add a passkey to the signed-in account: options, the authenticator's answer, the POST."""
    csrf = csrf_on(browser, "/account/passkeys")
    opt = post_json(browser, "/account/passkeys/options", csrf, {})
    assert opt.status_code == 200, opt.text
    answer = auth.create(opt.json()["options"], **create)
    return post_json(
        browser, "/account/passkeys", csrf, {"step": opt.json()["step"], "name": name, "credential": answer}
    )


def enrolled(seed: Seeder, browser: Browser, auth: Authenticator, email: str) -> None:
    """A new account with one passkey (added after a password sign-in), then signed out: a new
    visitor holding the same authenticator."""
    seed.user(email)
    sign_in_with_password(browser, email)
    r = enrol(browser, auth)
    assert r.status_code == 201, r.text
    browser.http.cookies.clear()


def signin_options(browser: Browser, *, flow: str = "", next_: str = "") -> tuple[str, dict[str, Any]]:
    """First-factor options from the sign-in page: (csrf, {"step", "options"})."""
    csrf = csrf_of(browser, "/signin")
    opt = post_json(browser, "/signin/passkey/options", csrf, {"flow": flow, "next": next_})
    assert opt.status_code == 200, opt.text
    return csrf, opt.json()


def passkey_sign_in(
    browser: Browser, auth: Authenticator, *, flow: str = "", next_: str = "", **get: Any
) -> httpx.Response:
    """Sign in with a passkey only (no e-mail, no password)."""
    csrf, opt = signin_options(browser, flow=flow, next_=next_)
    answer = auth.get(opt["options"], **get)
    return post_json(browser, "/signin/passkey/finish", csrf, {"step": opt["step"], "credential": answer})
