"""Short-hands for the common steps of a code flow in HTTP tests."""

from __future__ import annotations

from typing import Any

from tests.support.browserless import Browser, pkce_pair
from tests.support.seed import SeededClient

PASSWORD = "correct-horse-battery"


def auth_params(c: SeededClient, challenge: str | None, scope: str, **extra: str) -> dict[str, str]:
    p = {
        "response_type": "code",
        "client_id": c.client_id,
        "redirect_uri": c.redirect_uris[0],
        "scope": scope,
        "state": "xyz",
    }
    if challenge:
        p.update(code_challenge=challenge, code_challenge_method="S256")
    p.update(extra)
    return p


def get_code(
    browser: Browser,
    c: SeededClient,
    email: str,
    scope: str,
    *,
    consent: list[str] | None = None,
    **extra: str,
) -> tuple[str, str]:
    """Sign in (if needed), consent, and return (code, code_verifier)."""
    verifier, challenge = pkce_pair()
    q = browser.login_and_consent(auth_params(c, challenge, scope, **extra), email, PASSWORD, consent)
    assert "code" in q, q
    return q["code"], verifier


def exchange(http: Any, c: SeededClient, code: str, verifier: str, **extra: str) -> Any:
    data = {
        "grant_type": "authorization_code",
        "code": code,
        "redirect_uri": c.redirect_uris[0],
        "code_verifier": verifier,
        **extra,
    }
    if c.client_secret:
        return http.post("/token", data=data, auth=(c.client_id, c.client_secret))
    return http.post("/token", data={**data, "client_id": c.client_id})


def tokens_for(
    browser: Browser,
    http: Any,
    c: SeededClient,
    email: str,
    scope: str,
    *,
    consent: list[str] | None = None,
    **extra: str,
) -> dict[str, Any]:
    code, verifier = get_code(browser, c, email, scope, consent=consent, **extra)
    r = exchange(http, c, code, verifier)
    assert r.status_code == 200, r.text
    return dict(r.json())
