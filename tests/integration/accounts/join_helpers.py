"""Shared steps of the reset, sign-up and invitation tests: the app with their routes, the mail
the outbox holds, the links in it, and reads straight from the database."""

from __future__ import annotations

import re
from html import unescape
from typing import Any
from urllib.parse import parse_qs, urlsplit

from fastapi import FastAPI
from sqlalchemy import select, update

from consentry.app import create_app
from consentry.settings import Settings
from consentry.storage.tables import AccountLink, AuditEvent, OutboxMail, SessionAccount, User
from tests.conftest import ISSUER
from tests.support.browserless import CSRF_RE, Browser, form_value
from tests.support.databases import SECRET
from tests.support.flows import PASSWORD
from tests.support.seed import Seeder

HTML = {"accept": "text/html"}
NEW_PASSWORD = "lantern orbit pickle gravel"
LINK_RE = re.compile(r"(https?://\S+[?&]token=([A-Za-z0-9_-]+))")
ALERT_RE = re.compile(r'role="alert"[^>]*>\s*<p>(.*?)</p>', re.S)


def join_settings(database_url: str, **overrides: Any) -> Settings:
    return Settings(
        database_url=database_url,
        issuer=ISSUER,
        secret_key=SECRET,
        environment="test",
        janitor_interval=0,
        mail_interval=0,
        **overrides,
    )


def with_join_routes(app: FastAPI) -> FastAPI:
    """The app with the reset, sign-up and invitation pages (until app.py includes them itself)."""
    from consentry.web.pages import invitations, password_reset, signup

    paths = {getattr(r, "path", "") for r in app.routes}
    for router, probe in (
        (password_reset.router, "/password/forgot"),
        (signup.router, "/signup"),
        (invitations.router, "/invite/accept"),
    ):
        if probe not in paths:
            app.include_router(router)
    return app


def make_app(settings: Settings) -> FastAPI:
    return with_join_routes(create_app(settings))


def csrf_of(browser: Browser, path: str) -> str:
    return form_value(browser.get(ISSUER + path).text, CSRF_RE)


def post(browser: Browser, path: str, data: dict[str, str]) -> Any:
    return browser.http.post(ISSUER + path, data=data, headers=HTML, follow_redirects=False)


def alert(html: str) -> str:
    m = ALERT_RE.search(html)
    assert m, html[:3000]
    return unescape(m.group(1))


def mails(seed: Seeder, reason: str = "") -> list[OutboxMail]:
    with seed.db.unit_of_work() as s:
        q = select(OutboxMail).order_by(OutboxMail.id)
        if reason:
            q = q.where(OutboxMail.reason == reason)
        rows = list(s.scalars(q))
        s.expunge_all()
        return rows


def link_in(mail: OutboxMail) -> tuple[str, str]:
    """The link a mail carries, and its token."""
    m = LINK_RE.search(mail.body)
    assert m, mail.body
    return m.group(1), m.group(2)


def path_of(url: str) -> str:
    parts = urlsplit(url)
    return parts.path + ("?" + parts.query if parts.query else "")


def query(location: str) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs(urlsplit(location).query).items()}


def audit(seed: Seeder, tag: str) -> list[dict[str, Any]]:
    with seed.db.unit_of_work() as s:
        return [
            dict(e.data) | {"actor": e.actor}
            for e in s.scalars(select(AuditEvent).where(AuditEvent.tag == tag))
        ]


def user_row(seed: Seeder, email: str) -> User | None:
    with seed.db.unit_of_work() as s:
        user = s.scalar(select(User).where(User.email == email))
        if user is not None:
            _ = user.org
            s.expunge_all()
        return user


def sessions_of(seed: Seeder, email: str) -> int:
    with seed.db.unit_of_work() as s:
        user = s.scalar(select(User).where(User.email == email))
        assert user is not None
        return len(list(s.scalars(select(SessionAccount).where(SessionAccount.user_id == user.id))))


def expire_links(seed: Seeder, email: str) -> None:
    """Every link of the address expired a second ago (the ttl settings allow no shorter life)."""
    with seed.db.unit_of_work() as s:
        s.execute(
            update(AccountLink)
            .where(AccountLink.email == email)
            .values(expires_at=AccountLink.created_at - 1)
        )


def sign_in(browser: Browser, email: str, password: str = PASSWORD) -> Any:
    """The sign-in form posted, not followed: 303 to /account when the password is right."""
    data = {"csrf": csrf_of(browser, "/signin"), "email": email, "password": password, "flow": "", "next": ""}
    return post(browser, "/signin", data)


def live_app() -> FastAPI:
    """uvicorn's factory for a live server with these pages (settings from CONSENTRY_*)."""
    return with_join_routes(create_app())


def start_join_server(database_url: str, env: dict[str, str]) -> Any:
    """tests/support/live.py's server, built by :func:`live_app` (the same process, port, checks)."""
    import os
    import subprocess
    import sys
    import time

    import httpx

    from tests.support.live import LiveServer, free_port

    port = free_port()
    url = f"http://127.0.0.1:{port}"
    child_env = {
        **os.environ,
        "CONSENTRY_DATABASE_URL": database_url,
        "CONSENTRY_ISSUER": url,
        "CONSENTRY_ENVIRONMENT": "test",
        "CONSENTRY_SECRET_KEY": SECRET,
        **env,
    }
    command = ["-m", "uvicorn", "tests.integration.accounts.join_helpers:live_app", "--factory"]
    command += ["--log-level", "warning", "--host", "127.0.0.1", "--port", str(port)]
    proc = subprocess.Popen([sys.executable, *command], env=child_env)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"server exited with {proc.returncode}")
        try:
            if httpx.get(url + "/healthz", timeout=1).status_code == 200:
                return LiveServer(url, proc)
        except httpx.HTTPError:
            time.sleep(0.1)
    proc.kill()
    raise RuntimeError("server did not start within 30 s")
