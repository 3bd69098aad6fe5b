"""Property-based fuzzing of every protocol endpoint's parameters (issue 9, "the suite that keeps it
fixed"; RFC 6749 §3.1-3.2, §4.1.2.1, §5.2).

Generated requests mix real values (client ids, secrets other than the victim's, tokens, codes,
device and user codes, CSRF tokens) with malformed ones: oversized (kept to a few KiB, so body
limits do not decide everything), repeated parameters, invalid UTF-8, percent-encoding junk, NUL
and control characters, wrong or missing content types, broken Basic credentials. Every answer is
checked by :func:`tests.security.fuzzing.send`: no 5xx, no traceback, protocol errors as JSON with
``error``, and a refused request leaves the database exactly as it was.

``make fuzz`` runs the same properties with many more examples (``CONSENTRY_FUZZ_PROFILE=long``).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any
from urllib.parse import urlencode

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tests.conftest import ISSUER
from tests.security.conftest import FUZZ
from tests.security.fuzzing import World, assert_victim_alive, build_world, send
from tests.security.strategies import (
    DEVICE_GRANT,
    FORM,
    HEADER_TEXT,
    JWT_BEARER,
    KIND,
    NASTY,
    auth_headers,
    basic,
    bodies,
    pairs,
    query_strings,
)
from tests.security.support import USER, listing

pytestmark = pytest.mark.fuzz


@pytest.fixture(scope="module", params=["sqlite", "postgres"])
def world(request: pytest.FixtureRequest) -> Iterator[World]:
    yield from build_world(request, request.param)


AUTHORIZE = [
    "response_type",
    "client_id",
    "redirect_uri",
    "scope",
    "state",
    "prompt",
    "code_challenge",
    "code_challenge_method",
    "nonce",
    "hd",
    "login_hint",
    "access_type",
    "include_granted_scopes",
    "response_mode",
    "max_age",
    "request",
    "request_uri",
]


def test_fuzz_authorize(world: World) -> None:
    """GET /authorize from a signed-in browser: errors as a page or an error redirect to the
    registered URI, never a 5xx, and a refused request stores no code, token or consent."""

    base = st.fixed_dictionaries(
        {"response_type": st.just("code"), "client_id": st.sampled_from(world.pools()["client_id"])}
    ).map(lambda d: list(d.items()))

    @FUZZ
    @given(head=st.one_of(base, st.just([])), query=query_strings(pairs(world, AUTHORIZE)))
    def run(head: list[tuple[str, str]], query: str) -> None:
        prefix = urlencode(head)
        sep = "&" if prefix and query else ""
        send(world, "GET", f"/authorize?{prefix}{sep}{query}", http=world.browser.http)

    run()
    assert_victim_alive(world)


GRANT_PARAMS = {
    "authorization_code": ["code", "redirect_uri", "code_verifier", "client_id", "client_secret"],
    "refresh_token": ["refresh_token", "scope", "client_id", "client_secret"],
    "client_credentials": ["scope", "client_id", "client_secret"],
    DEVICE_GRANT: ["device_code", "client_id", "client_secret"],
    JWT_BEARER: ["assertion", "scope", "client_id"],
    "password": ["username", "password", "scope", "client_id"],
}
CLIENT_ASSERTION = ["client_assertion", "client_assertion_type", "grant_type"]


@pytest.mark.parametrize("grant", list(GRANT_PARAMS), ids=lambda g: g.rsplit(":", 1)[-1])
def test_fuzz_token_endpoint(world: World, grant: str) -> None:
    """POST /token for each grant (and the client-assertion path off the token lane): no 5xx, JSON
    errors, and no refused request issues, rotates or revokes anything."""
    names = GRANT_PARAMS[grant] + CLIENT_ASSERTION

    @FUZZ
    @given(
        body=bodies(pairs(world, names).map(lambda p: [("grant_type", grant), *p])), auth=auth_headers(world)
    )
    def run(body: tuple[bytes, dict[str, str]], auth: dict[str, str]) -> None:
        content, headers = body
        send(world, "POST", "/token", content=content, headers={**headers, **auth})

    run()
    assert_victim_alive(world)


ENDPOINT_PARAMS = {
    "/revoke": [
        "token",
        "token_type_hint",
        "client_id",
        "client_secret",
        "client_assertion",
        "client_assertion_type",
    ],
    "/introspect": [
        "token",
        "token_type_hint",
        "client_id",
        "client_secret",
        "client_assertion",
        "client_assertion_type",
    ],
    "/device/code": ["client_id", "client_secret", "scope"],
}


@pytest.mark.parametrize("path", list(ENDPOINT_PARAMS), ids=lambda p: p.strip("/").replace("/", "_"))
def test_fuzz_revoke_introspect_device_code(world: World, path: str) -> None:
    """POST /revoke, /introspect, /device/code: no 5xx, JSON errors, nothing changed by a refusal."""

    @FUZZ
    @given(body=bodies(pairs(world, ENDPOINT_PARAMS[path])), auth=auth_headers(world))
    def run(body: tuple[bytes, dict[str, str]], auth: dict[str, str]) -> None:
        content, headers = body
        send(world, "POST", path, content=content, headers={**headers, **auth})

    run()
    assert_victim_alive(world)


def test_fuzz_userinfo(world: World) -> None:
    """GET and POST /userinfo with every shape of Authorization header and body."""
    printable_nasty = [n for n in NASTY if n.isascii() and n.isprintable()]
    tokens = st.one_of(st.sampled_from(world.pools()["token"]), st.sampled_from(printable_nasty), HEADER_TEXT)
    header = st.one_of(
        tokens.map(lambda t: "Bearer " + t),
        tokens.map(lambda t: "bearer  " + t + " "),
        st.sampled_from(["Bearer", "Bearer ", "Basic abc", "Token x", "Bearer a b"]),
    )

    @FUZZ
    @given(
        method=st.sampled_from(["GET", "POST"]),
        header=st.one_of(st.none(), header),
        body=bodies(pairs(world, ["access_token", "scope"])),
    )
    def run(method: str, header: str | None, body: tuple[bytes, dict[str, str]]) -> None:
        content, headers = body
        if header is not None:
            headers = {**headers, "authorization": header}
        if method == "GET":
            send(world, "GET", "/userinfo", headers=headers)
        else:
            send(world, "POST", "/userinfo", content=content, headers=headers)

    run()
    assert_victim_alive(world)


def test_fuzz_tokeninfo(world: World) -> None:
    """GET and POST /tokeninfo: tokens of every kind as every parameter, repeated, malformed."""
    names = ["access_token", "id_token", "token_handle"]

    @FUZZ
    @given(
        method=st.sampled_from(["GET", "POST"]),
        query=query_strings(pairs(world, names, max_size=3)),
        body=bodies(pairs(world, names, max_size=4)),
    )
    def run(method: str, query: str, body: tuple[bytes, dict[str, str]]) -> None:
        content, headers = body
        url = f"/tokeninfo?{query}" if query else "/tokeninfo"
        if method == "GET":
            send(world, "GET", url)
        else:
            send(world, "POST", url, content=content, headers=headers)

    run()
    assert_victim_alive(world)


def test_fuzz_signin_post(world: World) -> None:
    """POST /signin with and without the session's CSRF token: wrong, malformed and oversized
    credentials, flows and ``next`` values never give a 5xx or change accounts."""
    names = ["csrf", "flow", "email", "password", "next", "captcha", "captcha_id"]
    with_csrf = pairs(world, names).map(lambda p: [("csrf", world.csrf), *p])

    @FUZZ
    @given(body=bodies(st.one_of(with_csrf, pairs(world, names))))
    def run(body: tuple[bytes, dict[str, str]]) -> None:
        content, headers = body
        send(world, "POST", "/signin", http=world.browser.http, content=content, headers=headers)

    run()
    assert_victim_alive(world)


def test_fuzz_device_post(world: World) -> None:
    """POST /device (the signed-in user entering and approving a user code)."""
    names = ["csrf", "user_code", "step", "action", "scope"]
    with_csrf = pairs(world, names).map(lambda p: [("csrf", world.csrf), *p])

    @FUZZ
    @given(body=bodies(st.one_of(with_csrf, pairs(world, names))))
    def run(body: tuple[bytes, dict[str, str]]) -> None:
        content, headers = body
        send(world, "POST", "/device", http=world.browser.http, content=content, headers=headers)

    run()
    assert_victim_alive(world)


def test_fuzz_raw_bytes_everywhere(world: World) -> None:
    """Arbitrary bytes, under any content type, at every POST endpoint of the protocol and pages."""
    paths = [
        "/token",
        "/revoke",
        "/introspect",
        "/device/code",
        "/userinfo",
        "/tokeninfo",
        "/signin",
        "/device",
        "/authorize/consent",
        "/accounts/choose",
        "/signout",
    ]
    ctypes = [
        FORM,
        "application/json",
        "multipart/form-data; boundary=x",
        "text/plain",
        "",
        f"{FORM}; charset=utf-16",
    ]

    @FUZZ
    @given(path=st.sampled_from(paths), ctype=st.sampled_from(ctypes), content=st.binary(max_size=2048))
    def run(path: str, ctype: str, content: bytes) -> None:
        headers = {"content-type": ctype} if ctype else {}
        send(world, "POST", path, http=world.browser.http, content=content, headers=headers)

    run()
    assert_victim_alive(world)
    # The signed-in browser is still signed in after all that (nothing above signed it out:
    # /signout needs the CSRF token, and a raw body never carries it).
    assert world.browser.get(ISSUER + "/account").status_code == 200


#: (method, path, how the value is sent, parameter): every place a request value meets a lookup.
LOOKUPS = [
    ("GET", "/authorize", "query", "client_id"),
    ("GET", "/authorize", "query", "login_hint"),
    ("GET", "/authorize", "query", "hd"),
    ("GET", "/authorize", "query", "nonce"),
    ("POST", "/token", "form", "client_id"),
    ("POST", "/token", "basic", "client_id"),
    ("POST", "/token", "form", "code"),
    ("POST", "/token", "form", "refresh_token"),
    ("POST", "/token", "form", "device_code"),
    ("POST", "/token", "route", "client_id"),
    ("POST", "/revoke", "form", "client_id"),
    ("POST", "/revoke", "form", "token"),
    ("POST", "/introspect", "form", "client_id"),
    ("POST", "/introspect", "form", "token"),
    ("POST", "/device/code", "form", "client_id"),
    ("POST", "/tokeninfo", "form", "access_token"),
    ("POST", "/tokeninfo", "form", "id_token"),
    ("POST", "/signin", "form", "email"),
    ("POST", "/device", "form", "user_code"),
]


def _lookup_request(world: World, path: str, how: str, name: str, value: str) -> dict[str, Any]:
    """The keyword arguments of a request that carries ``value`` as ``name`` (``how``: in the query,
    the form, the Basic user name, or the form on the FastAPI route via ``client_assertion``)."""
    if how == "query":
        head = {"response_type": "code", "client_id": world.victim.client_id, "scope": "openid"}
        return {"params": {**head, name: value}}
    grants = {"code": "authorization_code", "refresh_token": "refresh_token", "device_code": DEVICE_GRANT}
    form = {"csrf": world.csrf} if path in ("/signin", "/device") else {}
    if path == "/token":
        form["grant_type"] = grants.get(name, "client_credentials")
    headers = {"content-type": FORM}
    if how == "basic":
        headers["authorization"] = basic(value, "secret")
    else:
        form[name] = value
    if how == "route":
        form["client_assertion"] = "not-a-jwt"
    if path in ("/revoke", "/introspect") and name == "token":
        headers["authorization"] = basic(world.attacker.client_id, world.attacker.client_secret or "")
    return {"content": urlencode(form).encode(), "headers": headers}


@pytest.mark.parametrize("char", ["\x00", "\x1b", "\ufffe"], ids=["NUL", "ESC", "U+FFFE"])
def test_control_characters_in_every_looked_up_value(world: World, char: str) -> None:
    """Wrong encodings, deterministically: a NUL or control character inside each value the
    server looks up (PostgreSQL refuses NUL in text, so an unchecked value becomes a 500 there).
    Every answer is a 4xx or an ordinary page, never a 5xx, and a refusal changes nothing."""
    pools = world.pools()
    problems = {}
    for method, path, how, name in LOOKUPS:
        real = {"client_id": world.attacker.client_id, "email": USER}.get(name) or pools.get(
            KIND.get(name, ""), ["x"]
        )[0]
        request = _lookup_request(world, path, how, name, real[:5] + char + real[5:])
        try:
            send(world, method, path, http=world.browser.http, **request)
        except AssertionError as err:
            problems[f"{method} {path} {name} ({how})"] = str(err).splitlines()[0][:300]
    assert not problems, "5xx or changed database:\n" + listing(problems)
    assert_victim_alive(world)
