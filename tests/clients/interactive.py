"""The user's part of a flow that a client library started: open its URL, sign in, consent."""

from __future__ import annotations

from urllib.parse import urlsplit

from tests.support.browserless import Browser, query_of

PASSWORD = "correct-horse-battery"


def approve(
    browser: Browser,
    authorization_url: str,
    email: str,
    password: str = PASSWORD,
    scopes: list[str] | None = None,
) -> str:
    """Open the library's authorization URL as is, sign in and allow; return the redirect to the app.

    The redirect is caught, not followed: the app's redirect URI need not exist. ``scopes`` are the
    boxes left checked on the consent page (default: every scope the URL asks for).
    """
    assert authorization_url.startswith(browser.base + "/authorize?"), authorization_url
    resp = browser.follow(browser.get(authorization_url))
    if resp.status_code == 200 and 'action="/signin"' in resp.text:
        resp = browser.sign_in(resp, email, password)
    if resp.status_code == 200 and "/authorize/consent" in resp.text:
        requested = query_of(authorization_url).get("scope", "").split()
        resp = browser.consent(resp, scopes if scopes is not None else requested)
    assert resp.status_code in (302, 303), f"{resp.status_code}: {resp.text[:1500]}"
    location = resp.headers["location"]
    assert urlsplit(location).netloc != urlsplit(browser.base).netloc, f"still on the server: {location}"
    return location
