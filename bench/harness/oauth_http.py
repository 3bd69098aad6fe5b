"""Small OAuth helpers the targets share while preparing a cell (not on the measured path).

The measured requests come from wrk; these build what wrk needs: a client_secret_basic header, the
one fixed PKCE pair every code round trip uses, the session cookie a browser would send, and codes
or tokens fetched over plain HTTP.
"""

from __future__ import annotations

import base64
import hashlib
import urllib.request
from urllib.parse import parse_qs, quote, urlsplit

import httpx

#: One fixed verifier/challenge pair (RFC 7636 S256) for every code round trip of the run.
PKCE_VERIFIER = "bench-verifier-" + "0123456789abcdefghijklmnopqrstuvwxyz" * 2
PKCE_CHALLENGE = (
    base64.urlsafe_b64encode(hashlib.sha256(PKCE_VERIFIER.encode()).digest()).rstrip(b"=").decode()
)


class FlowError(RuntimeError):
    """A preparation step got an answer a working server would not give."""


def basic_auth(client_id: str, secret: str) -> str:
    """client_secret_basic: RFC 6749 2.3.1 form-encodes id and secret before base64."""
    raw = f"{quote(client_id, safe='')}:{quote(secret, safe='')}".encode()
    return "Basic " + base64.b64encode(raw).decode()


def query_of(location: str) -> dict[str, str]:
    return {key: values[0] for key, values in parse_qs(urlsplit(location).query).items()}


def cookie_header(http: httpx.Client, url: str) -> str:
    """The Cookie header a browser holding ``http``'s cookies would send to ``url``."""
    request = urllib.request.Request(url)
    http.cookies.jar.add_cookie_header(request)
    header = request.get_header("Cookie")
    if not header:
        raise FlowError(f"no session cookie applies to {url}")
    return header


def code_from(response: httpx.Response, redirect_uri: str) -> str:
    """The code of a redirect back to the app; FlowError for anything else (a page, an error=...)."""
    location = response.headers.get("location", "")
    if response.status_code not in (302, 303) or not location.startswith(redirect_uri):
        raise FlowError(f"expected a redirect to {redirect_uri}, got {response.status_code} {location}")
    query = query_of(location)
    if "code" not in query:
        raise FlowError(f"redirect without a code: {location}")
    return query["code"]


def post_token(http: httpx.Client, path: str, auth: str, form: dict[str, str]) -> dict[str, object]:
    """POST a token request with client_secret_basic; the JSON body, or FlowError."""
    response = http.post(path, data=form, headers={"Authorization": auth, "Accept": "application/json"})
    if response.status_code != 200:
        raise FlowError(f"POST {path} answered {response.status_code}: {response.text[:300]}")
    return dict(response.json())
