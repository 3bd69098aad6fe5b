"""Shared pieces of the OAuth 1.0a tests: gdata's test key, a gdata-style header, a consumer.

``PRIVATE_TEST_KEY`` is the RSA key of gdata-python-client's ``tests/gdata_tests/gauth_test.py``
(PLATFORM_RULES §4 vectors 3 and 4); a test key published with the library, never a secret.
"""

from __future__ import annotations

import re
import textwrap
from dataclasses import dataclass
from html import unescape
from typing import Any
from urllib.parse import parse_qsl, quote, urlencode

import httpx
from cryptography.hazmat.primitives import serialization
from oauthlib.oauth1 import SIGNATURE_HMAC, SIGNATURE_RSA, SIGNATURE_TYPE_AUTH_HEADER
from oauthlib.oauth1 import Client as OAuthlibClient

from consentry.domain.keys.envelope import Envelope
from consentry.domain.legacy import consumers
from consentry.storage.tables import Client
from tests.support.browserless import Browser
from tests.support.flows import PASSWORD
from tests.support.seed import Seeder

PRIVATE_TEST_KEY = textwrap.dedent(
    """\
    -----BEGIN PRIVATE KEY-----
    MIICdgIBADANBgkqhkiG9w0BAQEFAASCAmAwggJcAgEAAoGBALRiMLAh9iimur8V
    A7qVvdqxevEuUkW4K+2KdMXmnQbG9Aa7k7eBjK1S+0LYmVjPKlJGNXHDGuy5Fw/d
    7rjVJ0BLB+ubPK8iA/Tw3hLQgXMRRGRXXCn8ikfuQfjUS1uZSatdLB81mydBETlJ
    hI6GH4twrbDJCR2Bwy/XWXgqgGRzAgMBAAECgYBYWVtleUzavkbrPjy0T5FMou8H
    X9u2AC2ry8vD/l7cqedtwMPp9k7TubgNFo+NGvKsl2ynyprOZR1xjQ7WgrgVB+mm
    uScOM/5HVceFuGRDhYTCObE+y1kxRloNYXnx3ei1zbeYLPCHdhxRYW7T0qcynNmw
    rn05/KO2RLjgQNalsQJBANeA3Q4Nugqy4QBUCEC09SqylT2K9FrrItqL2QKc9v0Z
    zO2uwllCbg0dwpVuYPYXYvikNHHg+aCWF+VXsb9rpPsCQQDWR9TT4ORdzoj+Nccn
    qkMsDmzt0EfNaAOwHOmVJ2RVBspPcxt5iN4HI7HNeG6U5YsFBb+/GZbgfBT3kpNG
    WPTpAkBI+gFhjfJvRw38n3g/+UeAkwMI2TJQS4n8+hid0uus3/zOjDySH3XHCUno
    cn1xOJAyZODBo47E+67R4jV1/gzbAkEAklJaspRPXP877NssM5nAZMU0/O/NGCZ+
    3jPgDUno6WbJn5cqm8MqWhW1xGkImgRk+fkDBquiq4gPiT898jusgQJAd5Zrr6Q8
    AO/0isr/3aa6O6NLQxISLKcPDk2NOccAfS/xOtfOz4sJYM3+Bs4Io9+dZGSDCA54
    Lw03eHTNQghS0A==
    -----END PRIVATE KEY-----
    """
)


def public_key(private_pem: str = PRIVATE_TEST_KEY) -> str:
    key = serialization.load_pem_private_key(private_pem.encode(), password=None)
    return (
        key.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )


def gdata_header(params: dict[str, str]) -> str:
    """``Authorization`` as gdata's ``generate_auth_header`` writes it: each value RFC 3986-encoded
    with only ``~`` left alone, quoted, no realm."""
    return "OAuth " + ", ".join(f'{k}="{quote(v, safe="~")}"' for k, v in params.items())


@dataclass
class Consumer:
    key: str
    secret: str
    pk: int


def consumer(
    seed: Seeder,
    *,
    domain: str = "app.example.org",
    name: str = "Gadget Sync",
    certificate: str | None = None,
    project: str = "Legacy Co",
    verified: bool = True,
) -> Consumer:
    """A registered consumer in a (reviewed, production) project, as ``client create --type oauth1``."""
    base = seed.client("installed", project=project, verified=verified)
    with seed.db.unit_of_work() as s:
        row = s.get(Client, base.pk)
        assert row is not None
        proj = row.project
        new = consumers.create(
            s, Envelope(seed.settings.secret_key), proj, domain=domain, name=name, certificate=certificate
        )
        return Consumer(new.client.client_id, new.consumer_secret, new.client.id)


# --- signed calls and the approval, over HTTP ------------------------------------------------------
FORM = "application/x-www-form-urlencoded"
HIDDEN_RE = re.compile(r'<input type="hidden" name="([^"]+)" value="([^"]*)">')
FORM_RE = re.compile(r'<form method="post" action="([^"]+)"[^>]*>(.*?)</form>', re.S)


def signer(
    key: str,
    secret: str = "",
    *,
    token: str | None = None,
    token_secret: str | None = None,
    callback: str | None = None,
    verifier: str | None = None,
    rsa_key: str | None = None,
    where: str = SIGNATURE_TYPE_AUTH_HEADER,
) -> OAuthlibClient:
    """oauthlib's OAuth 1.0a client (what requests-oauthlib signs with), configured once."""
    return OAuthlibClient(
        key,
        client_secret=secret or None,
        resource_owner_key=token,
        resource_owner_secret=token_secret,
        callback_uri=callback,
        verifier=verifier,
        signature_method=SIGNATURE_RSA if rsa_key else SIGNATURE_HMAC,
        rsa_key=rsa_key,
        signature_type=where,
    )


def signed(
    http: Any, client: OAuthlibClient, method: str, url: str, params: dict[str, str] | None = None
) -> httpx.Response:
    """``params`` go in the query for GET, in a form body for POST (both signed)."""
    body = None
    headers: dict[str, str] = {}
    if params and method == "GET":
        url += ("&" if "?" in url else "?") + urlencode(params)
    elif params:
        body = urlencode(params)
        headers["Content-Type"] = FORM
    uri, headers, body = client.sign(url, http_method=method, body=body, headers=headers)
    return http.request(method, uri, headers=headers, content=body)


def form_of(text: str) -> tuple[str, list[tuple[str, str]]]:
    """The page's first POST form: its action and hidden fields."""
    m = FORM_RE.search(text)
    assert m, text[:3000]
    return unescape(m.group(1)), [(unescape(k), unescape(v)) for k, v in HIDDEN_RE.findall(m.group(2))]


def submit(browser: Browser, page: httpx.Response, extra: list[tuple[str, str]]) -> httpx.Response:
    action, fields = form_of(page.text)
    return browser.http.post(
        browser.base + action,
        content=urlencode(fields + extra),
        headers={"content-type": FORM},
        follow_redirects=False,
    )


def approval_page(browser: Browser, path: str, email: str, password: str = PASSWORD) -> httpx.Response:
    """Open ``path`` (the authorize URL), signing in on the way if asked."""
    page = browser.follow(browser.get(browser.base + path))
    if 'action="/signin"' in page.text:
        page = browser.sign_in(page, email, password)
    return page


def decide(
    browser: Browser, page: httpx.Response, scopes: list[str] | tuple[str, ...], *, allow: bool = True
) -> httpx.Response:
    """Go past a screen (unverified app, testing), then tick ``scopes`` and Allow (or Cancel)."""
    for _ in range(3):
        if 'name="screen"' not in page.text:
            break
        page = submit(browser, page, [("action", "continue")])
    assert 'name="disclosure"' in page.text, page.text[:3000]
    return submit(browser, page, [("action", "allow" if allow else "deny"), *(("scope", s) for s in scopes)])


def form_body(response: httpx.Response) -> dict[str, str]:
    """A form-encoded answer, read as gdata does (``parse_qsl``; every key once)."""
    assert response.headers["content-type"].startswith(FORM), response.text
    return dict(parse_qsl(response.text, keep_blank_values=True))


@dataclass
class Tokens:
    token: str
    secret: str


def request_token(
    http: Any,
    base: str,
    key: str,
    secret: str,
    scope: str,
    *,
    callback: str | None = "oob",
    extra: dict[str, str] | None = None,
    rsa_key: str | None = None,
) -> httpx.Response:
    client = signer(key, secret, callback=callback, rsa_key=rsa_key)
    return signed(
        http, client, "POST", base + "/accounts/OAuthGetRequestToken", {"scope": scope, **(extra or {})}
    )


def access_token(
    http: Any, base: str, key: str, secret: str, got: Tokens, verifier: str, *, rsa_key: str | None = None
) -> httpx.Response:
    client = signer(key, secret, token=got.token, token_secret=got.secret, verifier=verifier, rsa_key=rsa_key)
    return signed(http, client, "POST", base + "/accounts/OAuthGetAccessToken")


def tokens_of(response: httpx.Response) -> Tokens:
    assert response.status_code == 200, response.text
    body = form_body(response)
    return Tokens(body["oauth_token"], body["oauth_token_secret"])


def certificate(private_pem: str = PRIVATE_TEST_KEY, host: str = "app.example.org") -> str:
    """A self-signed X.509 certificate for the key: what an operator uploads for RSA-SHA1."""
    import datetime

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes
    from cryptography.x509.oid import NameOID

    key = serialization.load_pem_private_key(private_pem.encode(), password=None)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, host)])
    start = datetime.datetime(2024, 1, 1, tzinfo=datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())  # type: ignore[arg-type]
        .serial_number(1)
        .not_valid_before(start)
        .not_valid_after(start + datetime.timedelta(days=3650))
        .sign(key, hashes.SHA256())  # type: ignore[arg-type]
    )
    return cert.public_bytes(serialization.Encoding.PEM).decode()
