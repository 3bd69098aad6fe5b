"""Passkey ceremonies over HTTP, as static/passkeys.js makes them (ACCT-3 tests).

The software authenticator (tests/support/webauthn_authenticator.py) answers; these helpers carry
the JSON to and from the server with the page's CSRF token, like the script does.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from typing import Any

import httpx
from fastapi import FastAPI

from consentry.app import create_app
from consentry.settings import Settings
from tests.support.browserless import Browser
from tests.support.live import LiveServer, free_port
from tests.support.webauthn_authenticator import Authenticator

DATA_CSRF = re.compile(r'data-csrf="([^"]+)"')
PASSWORD = "correct-horse-battery"


def app_with_passkeys(settings: Settings) -> FastAPI:
    """The app, with the passkey pages (and the second-step page they join) mounted if app.py
    does not mount them yet."""
    from consentry.web.pages import passkeys, signin_verify

    app = create_app(settings)
    paths = {getattr(r, "path", "") for r in app.routes}
    for path, router in (
        ("/signin/passkey/options", passkeys.router),
        ("/signin/verify", signin_verify.router),
    ):
        if path not in paths:
            app.include_router(router)
    return app


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
    done = browser.http.post(
        browser.base + "/signin",
        data={"csrf": _signin_csrf(browser), "email": email, "password": password, "flow": "", "next": ""},
        follow_redirects=False,
    )
    assert done.status_code == 303, done.text[:1000]
    return done


def _signin_csrf(browser: Browser) -> str:
    page = browser.get("/signin")
    m = re.search(r'name="csrf" value="([^"]+)"', page.text)
    assert m, page.text[:1000]
    return m.group(1)


def enrol(browser: Browser, auth: Authenticator, name: str = "Laptop", **create: Any) -> httpx.Response:
    """Add a passkey to the signed-in account: options, the authenticator's answer, the POST."""
    csrf = csrf_on(browser, "/account/passkeys")
    opt = post_json(browser, "/account/passkeys/options", csrf, {})
    assert opt.status_code == 200, opt.text
    answer = auth.create(opt.json()["options"], **create)
    return post_json(
        browser, "/account/passkeys", csrf, {"step": opt.json()["step"], "name": name, "credential": answer}
    )


def signin_options(browser: Browser, *, flow: str = "", next_: str = "") -> tuple[str, dict[str, Any]]:
    """First-factor options from the sign-in page: (csrf, {"step", "options"})."""
    csrf = _signin_csrf(browser)
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


def create_live_app() -> FastAPI:
    """uvicorn factory for browser tests: the app from the environment, with the passkey pages."""
    return app_with_passkeys(Settings())


def start_passkey_server(database_url: str, secret: str) -> LiveServer:
    """A live server on ``localhost`` (WebAuthn refuses an IP address as the relying party id)."""
    port = free_port()
    url = f"http://localhost:{port}"
    env = {
        **os.environ,
        "CONSENTRY_DATABASE_URL": database_url,
        "CONSENTRY_ISSUER": url,
        "CONSENTRY_ENVIRONMENT": "test",
        "CONSENTRY_SECRET_KEY": secret,
    }
    command = ["-m", "uvicorn", "tests.support.passkey_http:create_live_app", "--factory"]
    command += ["--log-level", "warning", "--host", "127.0.0.1", "--port", str(port)]
    proc = subprocess.Popen([sys.executable, *command], env=env)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"server exited with {proc.returncode}")
        try:
            if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200:
                return LiveServer(url, proc)
        except httpx.HTTPError:
            time.sleep(0.1)
    proc.kill()
    raise RuntimeError("server did not start within 30 s")
