"""Hypothesis strategies for the protocol fuzzers: parameter lists that mix the world's real values
with malformed ones, request bodies that go wrong in every usual way, and broken credentials."""

from __future__ import annotations

import base64
import json
import string
from urllib.parse import quote, urlencode

from hypothesis import strategies as st

from tests.security.fuzzing import World

FORM = "application/x-www-form-urlencoded"
DEVICE_GRANT = "urn:ietf:params:oauth:grant-type:device_code"
JWT_BEARER = "urn:ietf:params:oauth:grant-type:jwt-bearer"
ASSERTION_TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"

#: Values that have broken parsers before: encodings, injections, numbers, keywords.
NASTY = [
    "",
    " ",
    "\x00",
    "a\x00b",
    "\r\n",
    "\t",
    "\x7f",
    "\u202e",
    "é",
    "\U0001f600",
    "\ufeff",
    "%",
    "%00",
    "%ff",
    "%zz",
    "%C0%AF",
    "+",
    "&",
    "=",
    "' OR '1'='1",
    "<script>alert(1)</script>",
    "../../../etc/passwd",
    "null",
    "[]",
    "{}",
    "true",
    "-1",
    "0",
    "1e309",
    "99999999999999999999999",
    "S256",
    "plain",
    "none",
    "code",
    "token",
    "openid",
    "refresh_token",
    "access_token",
    DEVICE_GRANT,
    JWT_BEARER,
    ASSERTION_TYPE,
    "eyJhbGciOiJub25lIn0.eyJzdWIiOiJ4In0.",
    "http://127.0.0.1:99999/",
    "https://evil.example/cb",
    "javascript:alert(1)",
]
#: Printable and not: every code point but surrogates (which UTF-8 cannot carry).
ANY_TEXT = st.text(alphabet=st.characters(exclude_categories=["Cs"]), max_size=40)
#: What a header can carry (printable ASCII; httpx refuses the rest before it is sent).
HEADER_TEXT = st.text(alphabet=string.ascii_letters + string.digits + string.punctuation + " ", max_size=60)
#: Oversized, but a few KiB at most: big enough for length bugs, small enough to pass body limits.
BIG_TEXT = st.text(alphabet=string.printable, min_size=300, max_size=1500)


def values(world: World, kind: str) -> st.SearchStrategy[str]:
    pool = world.pools().get(kind, [])
    real = [st.sampled_from(pool)] if pool else []
    return st.one_of(*real, st.sampled_from(NASTY), ANY_TEXT, BIG_TEXT)


#: Which pool a parameter name draws its real values from.
KIND = {
    "client_id": "client_id",
    "client_secret": "client_secret",
    "code": "code",
    "code_verifier": "code_verifier",
    "refresh_token": "token",
    "token": "token",
    "access_token": "token",
    "id_token": "token",
    "assertion": "token",
    "client_assertion": "token",
    "device_code": "device_code",
    "user_code": "user_code",
    "redirect_uri": "redirect_uri",
    "scope": "scope",
    "csrf": "csrf",
}


def pairs(world: World, names: list[str], max_size: int = 8) -> st.SearchStrategy[list[tuple[str, str]]]:
    """A parameter list: known names (repeats allowed: duplicates are part of the attack) and a few
    unknown ones, each with a real or a malformed value."""
    name_value = st.sampled_from(names).flatmap(
        lambda n: st.tuples(st.just(n), values(world, KIND.get(n, "")))
    )
    unknown = st.tuples(st.one_of(st.sampled_from(NASTY), ANY_TEXT), ANY_TEXT)
    return st.lists(st.one_of(name_value, name_value, name_value, unknown), max_size=max_size)


def basic(user: str, password: str) -> str:
    return "Basic " + base64.b64encode(f"{quote(user, safe='')}:{quote(password, safe='')}".encode()).decode()


def auth_headers(world: World) -> st.SearchStrategy[dict[str, str]]:
    """No credentials, real or mismatched Basic pairs, and broken Authorization headers."""
    pools = world.pools()
    real_basic = st.builds(
        basic,
        st.sampled_from(pools["client_id"]),
        st.one_of(st.sampled_from(pools["client_secret"]), ANY_TEXT),
    )
    broken = st.sampled_from(
        [
            "Basic",
            "Basic ",
            "Basic !!!!",
            "Basic " + base64.b64encode(b"\xff\xfe:\x00").decode(),
            "Basic " + base64.b64encode(b"no-colon").decode(),
            "Bearer x",
            "Digest username=x",
            "basic " + base64.b64encode(b"a:b").decode(),
        ]
    )
    header = st.one_of(real_basic, broken, HEADER_TEXT)
    return st.one_of(st.just({}), header.map(lambda h: {"authorization": h}))


@st.composite
def bodies(draw: st.DrawFn, form: st.SearchStrategy[list[tuple[str, str]]]) -> tuple[bytes, dict[str, str]]:
    """A request body and its content type: a proper form, or one of the ways bodies go wrong."""
    items = draw(form)
    encoded = urlencode(items, quote_via=quote).encode()
    mode = draw(
        st.sampled_from(["form", "form", "form", "charset", "corrupt", "raw", "json", "multipart", "none"])
    )
    if mode == "form":
        return encoded, {"content-type": FORM}
    if mode == "charset":
        charset = draw(st.sampled_from(["utf-8", "latin-1", "utf-16", "x-unknown"]))
        return urlencode(items, encoding="latin-1", errors="replace").encode(), {
            "content-type": f"{FORM}; charset={charset}"
        }
    if mode == "corrupt":
        junk = draw(
            st.sampled_from([b"\xff\xfe", b"\x00", b"%", b"%zz", b"%ff", b"&&==&", b"\xc0\xaf", b"\r\n"])
        )
        at = draw(st.integers(0, len(encoded)))
        return encoded[:at] + junk + encoded[at:], {"content-type": FORM}
    if mode == "raw":
        return draw(st.binary(max_size=300)), {"content-type": FORM}
    if mode == "json":
        ctype = draw(st.sampled_from(["application/json", FORM]))
        return json.dumps(dict(items)).encode(), {"content-type": ctype}
    if mode == "multipart":
        ctype = draw(
            st.sampled_from(["multipart/form-data", "multipart/form-data; boundary=b", "text/plain"])
        )
        return b'--b\r\nContent-Disposition: form-data; name="x"\r\n\r\n' + encoded + b"\r\n--b--\r\n", {
            "content-type": ctype
        }
    return encoded, {}


@st.composite
def query_strings(draw: st.DrawFn, form: st.SearchStrategy[list[tuple[str, str]]]) -> str:
    """A query string: well encoded, or with percent-encoding junk spliced in."""
    text = urlencode(draw(form), quote_via=quote)
    if draw(st.booleans()):
        junk = draw(st.sampled_from(["%", "%zz", "%ff%fe", "%00", "%C0%AF", "&&", "==", "%%41", "+%2B"]))
        at = draw(st.integers(0, len(text)))
        text = text[:at] + junk + text[at:]
    return text
