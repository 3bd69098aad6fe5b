"""Drive the sign-in and consent pages over plain HTTP (what a browser would post)."""

from __future__ import annotations

import base64
import hashlib
import re
import secrets
from html import unescape as html_unescape
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import httpx

CSRF_RE = re.compile(r'name="csrf" value="([^"]+)"')
FLOW_RE = re.compile(r'name="flow" value="([^"]*)"')
NEXT_RE = re.compile(r'name="next" value="([^"]*)"')
DISCLOSURE_RE = re.compile(r'name="disclosure" value="([^"]*)"')
SCREEN_RE = re.compile(r'name="screen" value="([^"]*)"')


def pkce_pair() -> tuple[str, str]:
    verifier = secrets.token_urlsafe(48)
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
    return verifier, challenge


def form_value(html: str, pattern: re.Pattern[str]) -> str:
    m = pattern.search(html)
    assert m, f"form field not found in page:\n{html[:2000]}"
    return m.group(1)


def query_of(location: str) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs(urlsplit(location).query).items()}


class Browser:
    """A cookie-keeping HTTP client that follows our own pages but stops at the app's redirect URI."""

    def __init__(self, client: httpx.Client, base: str) -> None:
        self.http = client
        self.base = base.rstrip("/")

    def get(self, url: str, **kw: Any) -> httpx.Response:
        return self.http.get(url, follow_redirects=False, **kw)

    def follow(self, resp: httpx.Response, stop_prefixes: tuple[str, ...] = ()) -> httpx.Response:
        """Follow redirects while they stay on the server; return the first foreign redirect or page."""
        for _ in range(10):
            if resp.status_code not in (302, 303):
                return resp
            loc = resp.headers["location"]
            if loc.startswith("/"):
                loc = self.base + loc
            if not loc.startswith(self.base) or any(loc.startswith(p) for p in stop_prefixes):
                return resp
            resp = self.http.get(loc, follow_redirects=False)
        raise AssertionError("redirect loop")

    def sign_in(self, page: httpx.Response, email: str, password: str) -> httpx.Response:
        html = page.text
        data = {
            "csrf": form_value(html, CSRF_RE),
            "flow": form_value(html, FLOW_RE),
            "email": email,
            "password": password,
            "next": html_unescape(form_value(html, NEXT_RE)),
        }
        return self.follow(self.http.post(self.base + "/signin", data=data, follow_redirects=False))

    def consent(self, page: httpx.Response, scopes: list[str], allow: bool = True) -> httpx.Response:
        html = page.text
        data: list[tuple[str, str]] = [
            ("csrf", form_value(html, CSRF_RE)),
            ("flow", form_value(html, FLOW_RE)),
            ("disclosure", form_value(html, DISCLOSURE_RE)),
            ("action", "allow" if allow else "deny"),
        ]
        data += [("scope", s) for s in scopes]
        return self.http.post(
            self.base + "/authorize/consent",
            content=urlencode(data),
            headers={"content-type": "application/x-www-form-urlencoded"},
            follow_redirects=False,
        )

    def screen(self, page: httpx.Response, go_on: bool = True) -> httpx.Response:
        """Answer a screen before consent (testing warning, unverified app): go on, or back."""
        html = page.text
        data = {
            "csrf": form_value(html, CSRF_RE),
            "flow": form_value(html, FLOW_RE),
            "screen": form_value(html, SCREEN_RE),
            "action": "continue" if go_on else "back",
        }
        return self.follow(self.http.post(self.base + "/authorize/screen", data=data, follow_redirects=False))

    def authorize(self, params: dict[str, str]) -> httpx.Response:
        return self.follow(self.get(self.base + "/authorize?" + urlencode(params)))

    def login_and_consent(
        self, params: dict[str, str], email: str, password: str, scopes: list[str] | None = None
    ) -> dict[str, str]:
        """Full interactive round trip; returns the query of the redirect back to the app."""
        resp = self.authorize(params)
        if resp.status_code == 200 and 'action="/signin"' in resp.text:
            resp = self.sign_in(resp, email, password)
        if resp.status_code == 200 and "/authorize/consent" in resp.text:
            resp = self.consent(resp, scopes if scopes is not None else params.get("scope", "").split())
        assert resp.status_code in (302, 303), resp.text[:1500]
        return query_of(resp.headers["location"])
