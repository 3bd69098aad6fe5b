"""Scale-out: nothing lives only in one process's memory (AUTH2-1, AUTH2-4).

Two Consentry server processes share one database (PostgreSQL, and one SQLite file in WAL mode),
one issuer and one secret key, as they would behind a load balancer that sends each request to
any process. Every step of a flow goes to the *other* process than the step before it: browser
sessions, CSRF tokens, pending authorization requests, codes, refresh tokens, device codes and
signing keys must therefore all live in the database, never in one process.
"""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Iterator
from dataclasses import dataclass
from functools import partial
from html import unescape
from urllib.parse import urlencode, urlsplit

import httpx
import pytest
from joserfc import jwt
from joserfc.jwk import KeySet

from tests.support.browserless import (
    CSRF_RE,
    DISCLOSURE_RE,
    FLOW_RE,
    NEXT_RE,
    form_value,
    pkce_pair,
    query_of,
)
from tests.support.cluster import burst, two_servers
from tests.support.databases import SECRET  # the templates' signing keys are sealed with it
from tests.support.live import LiveServer
from tests.support.seed import SeededClient, Seeder

# Both processes answer for one public name (the load balancer's); nothing connects to it.
ISSUER = "http://consentry-lb.test"
PASSWORD = "correct-horse-battery"
MAIL = f"{ISSUER}/auth/mail.readonly"
CAL = f"{ISSUER}/auth/calendar.readonly"
DEVICE_GRANT = "urn:ietf:params:oauth:grant-type:device_code"


@dataclass
class Cluster:
    a: LiveServer
    b: LiveServer
    seed: Seeder
    engine: str


@pytest.fixture(params=["postgres", "sqlite"])
def cluster(request: pytest.FixtureRequest) -> Iterator[Cluster]:
    """Two server processes on different ports, one database, one issuer, one secret."""
    with two_servers(request, request.param, ISSUER) as (a, b, seeder, url):
        assert a.url != b.url
        if request.param == "sqlite":  # WAL persists in the file: a plain connection (no pragmas) sees it
            plain = sqlite3.connect(url.removeprefix("sqlite:///"))
            try:
                assert plain.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
            finally:
                plain.close()
        yield Cluster(a, b, seeder, request.param)


def _local(server: LiveServer, location: str) -> str:
    """A redirect to one of our own pages, sent to the given process instead (any process will do)."""
    parts = urlsplit(location)
    assert not parts.netloc or location.startswith(ISSUER), location
    return server.url + parts.path + (f"?{parts.query}" if parts.query else "")


def _sign_in(http: httpx.Client, page: httpx.Response, at: LiveServer, email: str) -> httpx.Response:
    data = {
        "csrf": form_value(page.text, CSRF_RE),
        "flow": form_value(page.text, FLOW_RE),
        "email": email,
        "password": PASSWORD,
        "next": unescape(form_value(page.text, NEXT_RE)),
    }
    r = http.post(at.url + "/signin", data=data)
    assert r.status_code == 303, r.text[:1500]
    return r


def _jwks(server: LiveServer) -> KeySet:
    return KeySet.import_key_set(httpx.get(server.url + "/jwks").json())


def _kids(server: LiveServer) -> set[str]:
    return {k["kid"] for k in httpx.get(server.url + "/jwks").json()["keys"]}


def _authorize(
    first: LiveServer, second: LiveServer, c: SeededClient, email: str, params: dict[str, str]
) -> dict[str, str]:
    """One browser's round trip, alternating processes; returns the query of the redirect to the app."""
    # One cookie jar for both ports: cookies are per host (127.0.0.1), not per port, like a browser's.
    with httpx.Client(follow_redirects=False, timeout=30) as http:
        # first: the authorization request is parked in the database and the browser sent to sign in.
        r = http.get(first.url + "/authorize?" + urlencode(params))
        assert r.status_code == 302, r.text[:1500]
        assert urlsplit(r.headers["location"]).path == "/signin", r.headers["location"]
        assert "consentry_sid" in http.cookies
        page = http.get(_local(first, r.headers["location"]))
        assert page.status_code == 200 and 'action="/signin"' in page.text

        # second: accepts the sign-in form the first rendered (CSRF token, session and flow are shared).
        r = _sign_in(http, page, second, email)
        assert urlsplit(r.headers["location"]).path == "/authorize/continue"

        # first: continues the flow the second resumed, and shows the consent screen.
        consent = http.get(_local(first, r.headers["location"]))
        assert consent.status_code == 200 and "/authorize/consent" in consent.text, consent.text[:1500]

        # second: records the decision and redirects back to the app with the code.
        form = [
            ("csrf", form_value(consent.text, CSRF_RE)),
            ("flow", form_value(consent.text, FLOW_RE)),
            ("disclosure", form_value(consent.text, DISCLOSURE_RE)),
            ("action", "allow"),
        ]
        form += [("scope", s) for s in params["scope"].split() if s.startswith(ISSUER)]
        r = http.post(
            second.url + "/authorize/consent",
            content=urlencode(form),
            headers={"content-type": "application/x-www-form-urlencoded"},
        )
        assert r.status_code in (302, 303), r.text[:1500]
        assert r.headers["location"].startswith(c.redirect_uris[0])
        q = query_of(r.headers["location"])
        assert q.get("state") == params["state"] and "code" in q, q
        return q


def _code_params(c: SeededClient, challenge: str) -> dict[str, str]:
    return {
        "response_type": "code",
        "client_id": c.client_id,
        "redirect_uri": c.redirect_uris[0],
        "scope": f"openid email {MAIL}",
        "state": "st-1",
        "nonce": "n-1",
        "code_challenge": challenge,
        "code_challenge_method": "S256",
        "access_type": "offline",
    }


def test_scale_out_code_flow_refresh_and_introspection_across_processes(cluster: Cluster) -> None:  # AUTH2-1
    a, b = cluster.a, cluster.b
    c = cluster.seed.client("web")
    sub = cluster.seed.user("ann@example.org", PASSWORD)
    verifier, challenge = pkce_pair()
    # authorize at A, sign in at B, consent screen from A, decision at B (which issues the code)
    q = _authorize(a, b, c, "ann@example.org", _code_params(c, challenge))

    auth = (c.client_id, c.client_secret or "")
    # A: the code B issued is exchanged at A.
    r = httpx.post(
        a.url + "/token",
        auth=auth,
        data={
            "grant_type": "authorization_code",
            "code": q["code"],
            "redirect_uri": c.redirect_uris[0],
            "code_verifier": verifier,
        },
    )
    assert r.status_code == 200, r.text
    t1 = r.json()
    assert set(t1["scope"].split()) == {"openid", "email", MAIL}
    assert t1["refresh_token"]
    # The ID token A signed verifies with the keys B publishes (one key set, in the database).
    claims = jwt.decode(t1["id_token"], _jwks(b)).claims
    assert claims["iss"] == ISSUER and claims["sub"] == sub and claims["aud"] == c.client_id
    assert claims["nonce"] == "n-1"
    assert _kids(a) == _kids(b)
    # B accepts A's access token.
    info = httpx.get(b.url + "/userinfo", headers={"Authorization": f"Bearer {t1['access_token']}"})
    assert info.status_code == 200 and info.json()["sub"] == sub

    # B: refresh the token A issued (rotation).
    r = httpx.post(
        b.url + "/token",
        auth=auth,
        data={"grant_type": "refresh_token", "refresh_token": t1["refresh_token"]},
    )
    assert r.status_code == 200, r.text
    t2 = r.json()
    assert t2["access_token"] != t1["access_token"] and t2["refresh_token"] != t1["refresh_token"]

    # A: introspects the token B issued.
    r = httpx.post(a.url + "/introspect", auth=auth, data={"token": t2["access_token"]})
    assert r.status_code == 200, r.text
    intro = r.json()
    assert intro["active"] is True and intro["sub"] == sub and intro["client_id"] == c.client_id
    assert intro["iss"] == ISSUER and set(intro["scope"].split()) == {"openid", "email", MAIL}

    # The code is spent everywhere: replaying it at B fails (no per-process "used codes" memory).
    r = httpx.post(
        b.url + "/token",
        auth=auth,
        data={
            "grant_type": "authorization_code",
            "code": q["code"],
            "redirect_uri": c.redirect_uris[0],
            "code_verifier": verifier,
        },
    )
    assert r.status_code == 400 and r.json()["error"] == "invalid_grant"
    # Replaying the rotated refresh token at A is detected and kills the family issued at B.
    r = httpx.post(
        a.url + "/token",
        auth=auth,
        data={"grant_type": "refresh_token", "refresh_token": t1["refresh_token"]},
    )
    assert r.status_code == 400 and r.json()["error"] == "invalid_grant"
    r = httpx.post(b.url + "/introspect", auth=auth, data={"token": t2["access_token"]})
    assert r.json() == {"active": False}


def _poll(server: LiveServer, client_id: str, device_code: str) -> httpx.Response:
    return httpx.post(
        server.url + "/token",
        data={"grant_type": DEVICE_GRANT, "device_code": device_code, "client_id": client_id},
    )


def test_scale_out_device_flow_across_processes(cluster: Cluster) -> None:  # AUTH2-4
    a, b = cluster.a, cluster.b
    c = cluster.seed.client("device", project="Living Room TV")
    web = cluster.seed.client("web", project="Living Room TV")
    sub = cluster.seed.user("dev@example.org", PASSWORD)

    # A: the device asks for a code.
    r = httpx.post(a.url + "/device/code", data={"client_id": c.client_id, "scope": f"openid email {CAL}"})
    assert r.status_code == 200, r.text
    dc = r.json()
    assert dc["verification_uri"] == f"{ISSUER}/device"
    assert _poll(a, c.client_id, dc["device_code"]).json()["error"] == "authorization_pending"
    # Polling B right away is too fast: the last poll A saw is in the database, not in A.
    assert _poll(b, c.client_id, dc["device_code"]).json()["error"] == "slow_down"

    with httpx.Client(follow_redirects=False, timeout=30) as http:
        # A sends the signed-out user to sign in; B signs them in and sends them back to /device.
        r = http.get(a.url + "/device?" + urlencode({"user_code": dc["user_code"]}))
        assert r.status_code == 303 and urlsplit(r.headers["location"]).path == "/signin", r.text[:500]
        page = http.get(_local(a, r.headers["location"]))
        r = _sign_in(http, page, b, "dev@example.org")
        assert urlsplit(r.headers["location"]).path == "/device"
        # B: enter the code, then approve on B's consent screen.
        page = http.get(_local(b, r.headers["location"]))
        assert page.status_code == 200 and dc["user_code"] in page.text, page.text[:1500]
        csrf = form_value(page.text, CSRF_RE)
        review = http.post(
            b.url + "/device", data={"csrf": csrf, "step": "lookup", "user_code": dc["user_code"]}
        )
        assert review.status_code == 200 and 'name="step" value="decide"' in review.text, review.text[:1500]
        decision = [
            ("csrf", form_value(review.text, CSRF_RE)),
            ("disclosure", form_value(review.text, DISCLOSURE_RE)),
            ("step", "decide"),
            ("user_code", dc["user_code"]),
            ("action", "allow"),
            ("scope", CAL),
        ]
        done = http.post(
            b.url + "/device",
            content=urlencode(decision),
            headers={"content-type": "application/x-www-form-urlencoded"},
        )
        assert done.status_code == 200, done.text[:1500]

    # A: the device's next poll gets the tokens (honouring slow_down / pending as a device must).
    deadline = time.monotonic() + 60
    while True:
        r = _poll(a, c.client_id, dc["device_code"])
        if r.status_code == 200 or r.json().get("error") not in ("slow_down", "authorization_pending"):
            break
        assert time.monotonic() < deadline, r.text
        time.sleep(1)
    assert r.status_code == 200, r.text
    tok = r.json()
    assert set(tok["scope"].split()) == {"openid", "email", CAL}
    info = httpx.get(b.url + "/userinfo", headers={"Authorization": f"Bearer {tok['access_token']}"})
    assert info.status_code == 200 and info.json()["sub"] == sub, info.text
    # The code is used once, whichever process is asked next.
    assert _poll(b, c.client_id, dc["device_code"]).json()["error"] == "invalid_grant"
    # A public device client cannot authenticate to introspection; a web client of its project can.
    intro = httpx.post(
        a.url + "/introspect",
        data={"token": tok["access_token"]},
        auth=(web.client_id, web.client_secret or ""),
    )
    assert intro.status_code == 200, intro.text
    assert intro.json()["active"] is True and intro.json()["sub"] == sub


@pytest.mark.parametrize("cluster", ["postgres"], indirect=True)
def test_scale_out_key_rotation_every_process_publishes_the_key_any_process_signs_with(
    cluster: Cluster,
) -> None:
    """AUTH2-1 + scale-out: after `consentry keys rotate`, an ID token signed by one process must verify
    against the /jwks of every process (an app's JWKS fetch may land on any of them)."""
    from consentry.domain.keys.envelope import Envelope
    from consentry.domain.keys.manager import rotate

    a, b = cluster.a, cluster.b
    c = cluster.seed.client("web")
    cluster.seed.user("kim@example.org", PASSWORD)
    before = _kids(a)  # A has loaded (and caches) the key set
    with cluster.seed.db.unit_of_work() as s:  # what `consentry keys rotate` does
        new_kids = set(rotate(s, Envelope(SECRET)))
    verifier, challenge = pkce_pair()
    q = _authorize(b, b, c, "kim@example.org", _code_params(c, challenge))
    r = httpx.post(
        b.url + "/token",
        auth=(c.client_id, c.client_secret or ""),
        data={
            "grant_type": "authorization_code",
            "code": q["code"],
            "redirect_uri": c.redirect_uris[0],
            "code_verifier": verifier,
        },
    )
    assert r.status_code == 200, r.text
    kid = jwt.decode(r.json()["id_token"], _jwks(b)).header["kid"]
    # B keeps signing with the previous key until every process's cached /jwks has the new one.
    assert kid in before and kid not in new_kids
    assert kid in _kids(a), "A's /jwks does not publish the key B signs with"


def _burst(requests: list[tuple[LiveServer, dict[str, str]]], auth: tuple[str, str]) -> list[httpx.Response]:
    """POST /token forms to the given processes, all released at the same moment."""
    with httpx.Client(timeout=60, limits=httpx.Limits(max_connections=len(requests))) as http:
        return burst(
            [partial(http.post, server.url + "/token", auth=auth, data=form) for server, form in requests]
        )


def test_parallel_code_redemption_and_refresh_rotation_across_processes(cluster: Cluster) -> None:
    # Issue 9 (concurrency): one code redeemed 16 times at once, on both processes: exactly one
    # token response, every other an invalid_grant, no 5xx. Then one live refresh token used 16
    # times at once: exactly one rotation wins and the rest are reuse, which revokes the whole
    # family (RFC 9700 4.14.2), the winner's new tokens included.
    a, b = cluster.a, cluster.b
    c = cluster.seed.client("web")
    cluster.seed.user("rae@example.org", PASSWORD)
    verifier, challenge = pkce_pair()
    q = _authorize(a, b, c, "rae@example.org", _code_params(c, challenge))
    auth = (c.client_id, c.client_secret or "")
    redeem = {
        "grant_type": "authorization_code",
        "code": q["code"],
        "redirect_uri": c.redirect_uris[0],
        "code_verifier": verifier,
    }
    answers = _burst([(a if i % 2 else b, redeem) for i in range(16)], auth)
    statuses = sorted(r.status_code for r in answers)
    assert statuses == [200] + [400] * 15, [r.text for r in answers if r.status_code >= 500]
    assert {r.json()["error"] for r in answers if r.status_code == 400} == {"invalid_grant"}
    # The code's replays revoked what it issued (RFC 6749 4.1.2): its refresh token is dead already.
    tokens = next(r.json() for r in answers if r.status_code == 200)
    dead = {"grant_type": "refresh_token", "refresh_token": tokens["refresh_token"]}
    assert httpx.post(b.url + "/token", auth=auth, data=dead).json() == {"error": "invalid_grant"}

    # So the refresh race starts from another user's authorization, and its live refresh token.
    cluster.seed.user("sol@example.org", PASSWORD)
    verifier, challenge = pkce_pair()
    q = _authorize(a, b, c, "sol@example.org", _code_params(c, challenge) | {"nonce": "n-2"})
    redeem |= {"code": q["code"], "code_verifier": verifier}
    first = httpx.post(a.url + "/token", auth=auth, data=redeem)
    assert first.status_code == 200, first.text
    refresh = {"grant_type": "refresh_token", "refresh_token": first.json()["refresh_token"]}
    answers = _burst([(a if i % 2 else b, refresh) for i in range(16)], auth)
    statuses = sorted(r.status_code for r in answers)
    assert statuses == [200] + [400] * 15, [r.text for r in answers if r.status_code >= 500]
    assert {r.json()["error"] for r in answers if r.status_code == 400} == {"invalid_grant"}
    winner = next(r.json() for r in answers if r.status_code == 200)
    # The winner's tokens died with the family.
    rotated = {"grant_type": "refresh_token", "refresh_token": winner["refresh_token"]}
    assert httpx.post(a.url + "/token", auth=auth, data=rotated).status_code == 400
    intro = httpx.post(b.url + "/introspect", auth=auth, data={"token": winner["access_token"]})
    assert intro.json() == {"active": False}
