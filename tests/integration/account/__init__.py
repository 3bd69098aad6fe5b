"""The account page over HTTP: the user's apps, revocation, reports, deletion requests, receipts.

Helpers shared by the account tests: a user who granted apps through the real consent flow,
and reads straight from the database to check what an action changed (or did not).
"""

from __future__ import annotations

import re
from html import unescape
from typing import Any
from urllib.parse import quote

from sqlalchemy import select

from consentry.storage.db import Database
from consentry.storage.tables import AuditEvent, Project
from tests.conftest import ISSUER
from tests.support.browserless import CSRF_RE, Browser, form_value
from tests.support.flows import PASSWORD, tokens_for
from tests.support.seed import SeededClient

HTML = {"accept": "text/html"}
USER = "ada@example.org"
ERROR_RE = re.compile(r'<div class="notice error" role="alert" data-code="([^"]+)"><p>(.*?)</p>', re.S)


def uri(name: str) -> str:
    return name if name in ("openid", "email", "profile") else f"{ISSUER}/auth/{name}"


def grant(
    browser: Browser, http: Any, client: SeededClient, *names: str, email: str = USER
) -> dict[str, Any]:
    """The user consents to ``names`` for ``client`` (a fresh sign-in) and the app gets its tokens."""
    browser.http.cookies.clear()
    scope = " ".join(uri(n) for n in names)
    return tokens_for(browser, http, client, email, scope, prompt="consent", access_type="offline")


def sign_in(browser: Browser, email: str = USER, next_path: str = "/account") -> Any:
    browser.http.cookies.clear()
    page = browser.follow(browser.get(ISSUER + "/signin?next=" + quote(next_path)))
    return browser.sign_in(page, email, PASSWORD)


def csrf(browser: Browser) -> str:
    return form_value(browser.get(ISSUER + "/account").text, CSRF_RE)


def post(browser: Browser, path: str, data: dict[str, str]) -> Any:
    return browser.http.post(ISSUER + path, data=data, headers=HTML, follow_redirects=False)


def text_of(html: str) -> str:
    return re.sub(r"\s+", " ", unescape(re.sub(r"<[^>]+>", " ", html))).strip()


def error_of(html: str) -> tuple[str, str]:
    m = ERROR_RE.search(html)
    assert m, html[:3000]
    return m.group(1), unescape(m.group(2))


def app_card(html: str, project_id: int) -> str:
    """The HTML of one app's card on the account page ("" when the app is not listed)."""
    m = re.search(rf'<article class="app" id="app-{project_id}".*?</article>', html, re.S)
    return m.group(0) if m else ""


def project_id(database_url: str, name: str) -> int:
    db = Database(database_url)
    try:
        with db.unit_of_work() as s:
            pid = s.scalar(select(Project.id).where(Project.name == name))
            assert pid is not None
            return pid
    finally:
        db.dispose()


def audit_tags(database_url: str) -> list[str]:
    db = Database(database_url)
    try:
        with db.unit_of_work() as s:
            return list(s.scalars(select(AuditEvent.tag).order_by(AuditEvent.id)))
    finally:
        db.dispose()
