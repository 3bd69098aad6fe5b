"""Small helpers shared by the browser tests: URLs, the sign-in form, token calls, database peeks."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs, urlencode, urlsplit

import httpx
from sqlalchemy import func, select

from consentry.storage.tables import AuthorizationCode, ConsentGrant

if TYPE_CHECKING:
    from playwright.sync_api import Page

    from tests.support.seed import SeededClient, Seeder

PASSWORD = "correct-horse-battery"  # the Seeder's default


def query_of(url: str) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs(urlsplit(url).query).items()}


def path_of(url: str) -> str:
    return urlsplit(url).path


def scope_uri(base: str, name: str) -> str:
    return f"{base}/auth/{name}"


def authorize_url(
    base: str,
    client: SeededClient,
    redirect_uri: str,
    *,
    scope: str,
    state: str,
    challenge: str,
    **extra: str,
) -> str:
    params = {
        "response_type": "code",
        "client_id": client.client_id,
        "redirect_uri": redirect_uri,
        "scope": scope,
        "state": state,
        "nonce": "nonce-" + state,
        "code_challenge": challenge,
        "code_challenge_method": "S256",
        **extra,
    }
    return f"{base}/authorize?{urlencode(params)}"


def sign_in(page: Page, email: str, password: str = PASSWORD) -> None:
    """Fill and submit the sign-in page the browser is on, as a person would."""
    assert path_of(page.url) == "/signin", page.url
    field = page.get_by_label("Email")
    if field.get_attribute("readonly") is None:  # "enter your password again" pins the account
        field.fill(email)
    page.get_by_label("Password").fill(password)
    with page.expect_navigation():  # the POST answers 303 (or 401 with the form again)
        page.get_by_role("button", name="Sign in", exact=True).click()


def exchange_code(
    base: str, client: SeededClient, code: str, redirect_uri: str, verifier: str
) -> dict[str, Any]:
    r = httpx.post(
        base + "/token",
        data={
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": redirect_uri,
            "code_verifier": verifier,
        },
        auth=(client.client_id, client.client_secret or ""),
        timeout=10,
    )
    assert r.status_code == 200, r.text
    return r.json()


def userinfo(base: str, access_token: str) -> dict[str, Any]:
    r = httpx.get(base + "/userinfo", headers={"Authorization": f"Bearer {access_token}"}, timeout=10)
    assert r.status_code == 200, r.text
    return r.json()


def codes_issued(seeder: Seeder, client: SeededClient) -> int:
    """Authorization codes stored for the client."""
    with seeder.db.unit_of_work() as s:
        return int(
            s.scalar(
                select(func.count())
                .select_from(AuthorizationCode)
                .where(AuthorizationCode.client_pk == client.pk)
            )
            or 0
        )


def grants_recorded(seeder: Seeder, client: SeededClient) -> list[list[str]]:
    """The consent grants any user gave the client."""
    with seeder.db.unit_of_work() as s:
        return [
            list(g.scopes) for g in s.scalars(select(ConsentGrant).where(ConsentGrant.client_pk == client.pk))
        ]
