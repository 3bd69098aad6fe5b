"""Helpers shared by the attack suite: scopes, redirect parsing, database snapshots."""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
from sqlalchemy import text

from consentry.storage.db import Database
from tests.conftest import ISSUER
from tests.support.browserless import Browser, pkce_pair
from tests.support.flows import PASSWORD, auth_params, tokens_for
from tests.support.seed import SeededClient

MAIL = f"{ISSUER}/auth/mail.readonly"
CAL = f"{ISSUER}/auth/calendar.readonly"
SEND = f"{ISSUER}/auth/mail.send"
USER = "victim@example.org"
#: What a rejected request must not add to or remove from (flow state and rate-limit counters
#: may legitimately grow: an anonymous /authorize pauses for sign-in, a failed sign-in counts).
STATE_TABLES = ("tokens", "authorization_codes", "device_codes", "consent_grants", "users", "clients")


def redirect_params(resp: httpx.Response) -> dict[str, list[str]]:
    """Every query parameter of a redirect, with all its values (to catch duplicates)."""
    assert resp.status_code in (302, 303), f"expected a redirect, got {resp.status_code}: {resp.text[:500]}"
    return parse_qs(urlsplit(resp.headers["location"]).query, keep_blank_values=True)


def single(params: dict[str, list[str]], name: str) -> str:
    values = params.get(name, [])
    assert len(values) == 1, f"{name!r} must appear exactly once, got {values!r}"
    return values[0]


def error_page_problem(resp: httpx.Response, error: str | tuple[str, ...], status: int = 400) -> str | None:
    """Why ``resp`` is not an HTML error page naming ``error`` (or one of several) that redirects
    nowhere, or None."""
    if "location" in resp.headers:
        return f"redirects ({resp.status_code}) to {resp.headers['location']}"
    if resp.status_code != status:
        return f"answers {resp.status_code}, not {status}"
    if not resp.headers.get("content-type", "").startswith("text/html"):
        return f"answers {resp.headers.get('content-type')}, not an HTML page"
    errors = (error,) if isinstance(error, str) else error
    if not any(f"<code>{e}</code>" in resp.text for e in errors):
        return f"the page names none of the errors {errors!r}"
    return None


def listing(problems: dict[str, Any]) -> str:
    """One line per problem, for an assertion message that is read whole, not truncated."""
    return "\n".join(f"  {key}: {value}" for key, value in problems.items())


def offline_tokens(
    browser: Browser, http: Any, c: SeededClient, email: str = USER, scope: str = ""
) -> dict[str, Any]:
    """Sign in, consent and exchange: an access token, a refresh token and an ID token."""
    return tokens_for(browser, http, c, email, scope or f"openid {MAIL}", access_type="offline")


def refresh(http: Any, c: SeededClient, refresh_token: str, **extra: str) -> httpx.Response:
    data = {"grant_type": "refresh_token", "refresh_token": refresh_token, **extra}
    if c.client_secret:
        return http.post("/token", data=data, auth=(c.client_id, c.client_secret))
    return http.post("/token", data={**data, "client_id": c.client_id})


def introspect(http: Any, c: SeededClient, token: str) -> dict[str, Any]:
    r = http.post("/introspect", data={"token": token}, auth=(c.client_id, c.client_secret))
    assert r.status_code == 200, r.text
    return dict(r.json())


def code_for(
    browser: Browser, c: SeededClient, scope: str = "openid", email: str = USER, **extra: str
) -> tuple[str, str]:
    """(code, verifier) after a full sign-in and consent (the code flow helper, with our user)."""
    verifier, challenge = pkce_pair()
    q = browser.login_and_consent(auth_params(c, challenge, scope, **extra), email, PASSWORD)
    assert "code" in q, q
    return q["code"], verifier


def row_counts(db: Database) -> dict[str, int]:
    with db.unit_of_work() as s:
        return {t: int(s.execute(text(f"SELECT count(*) FROM {t}")).scalar_one()) for t in STATE_TABLES}


def db_state(db: Database) -> dict[str, Any]:
    """Row counts, plus what a refused request must never flip: token rotation and revocation,
    codes' use, consent, disabled flags and client secrets."""
    state: dict[str, Any] = dict(row_counts(db))
    with db.unit_of_work() as s:
        state["token_marks"] = [
            tuple(r) for r in s.execute(text("SELECT id, rotated_at, revoked_at FROM tokens ORDER BY id"))
        ]
        state["code_marks"] = [
            tuple(r)
            for r in s.execute(text("SELECT code_hash, used_at FROM authorization_codes ORDER BY code_hash"))
        ]
        state["consents"] = [
            tuple(r)
            for r in s.execute(text("SELECT user_id, client_pk, scopes FROM consent_grants ORDER BY id"))
        ]
        state["users"] = [tuple(r) for r in s.execute(text("SELECT id, disabled FROM users ORDER BY id"))]
        state["clients"] = [
            tuple(r) for r in s.execute(text("SELECT id, disabled, secret_hash FROM clients ORDER BY id"))
        ]
    return state
