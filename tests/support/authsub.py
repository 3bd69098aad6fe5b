"""AuthSub as the old client libraries spoke it: the request URL, the header forms, the signed
``data`` (gdata-python v1/v2, gdata-java, Zend, Net::Google::AuthSub), and the approval pages
driven over plain HTTP.

``PRIVATE_TEST_KEY`` is gdata-python-client's (tests/gdata_tests/gauth_test.py), so PLATFORM_RULES
§4 vector 4 can be checked against the signature printed there.
"""

from __future__ import annotations

import datetime
import re
import secrets
import time
from dataclasses import dataclass
from html import unescape
from urllib.parse import parse_qs, urlencode, urlsplit

import httpx
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID

from consentry.domain.accounts import service as accounts
from consentry.domain.clients import service as clients
from consentry.domain.scopes.catalogue import Catalogue
from consentry.domain.secrets import new_id
from consentry.protocol.authsub import signature
from consentry.storage.tables import Client
from tests.support.browserless import Browser
from tests.support.flows import PASSWORD
from tests.support.oauth1 import PRIVATE_TEST_KEY as OAUTH1_TEST_KEY
from tests.support.seed import Seeder

#: gdata's gauth_test key, the same one the OAuth 1.0a vectors use.
PRIVATE_TEST_KEY = OAUTH1_TEST_KEY
#: gauth_test.test_generate_signature: data and the signature gdata computed for it.
VECTOR_DATA = "GET http://example.com/foo?a=1 1134567890 p234908"
VECTOR_SIG = (
    "GeBfeIDnT41dvLquPgDB4U5D4hfxqaHk/5LX1kccNBnL4BjsHWU1djbEp7xp3BL9ab"
    "QtLrK7oa/aHEHtGRUZGg87O+ND8iDPR76WFXAruuN8O8GCMqCDdPduNPY++LYO4MdJ"
    "BZNY974Nn0m6Hc0/T4M1ElqvPhl61fkXMm+ElSM="
)
HIDDEN_RE = re.compile(r'<input type="hidden" name="([^"]+)" value="([^"]*)">')
FORM_RE = re.compile(r'<form method="post" action="([^"]+)"')


def _private_key() -> rsa.RSAPrivateKey:
    pem = "\n".join(line.strip() for line in PRIVATE_TEST_KEY.strip().splitlines())
    key = serialization.load_pem_private_key(pem.encode(), password=None)
    assert isinstance(key, rsa.RSAPrivateKey)
    return key


def certificate_for(key: rsa.RSAPrivateKey | None = None, host: str = "calgulp.example.com") -> str:
    """A self-signed X.509 certificate (PEM) for ``key``: what an app uploads at registration."""
    key = key or _private_key()
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, host)])
    start = datetime.datetime.now(datetime.UTC) - datetime.timedelta(days=1)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(start)
        .not_valid_after(start + datetime.timedelta(days=365))
        .sign(key, hashes.SHA256())
    )
    return cert.public_bytes(serialization.Encoding.PEM).decode()


def other_key_pem() -> str:
    """A key the app did not register (a forged signature)."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=1024)
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()


@dataclass(frozen=True)
class RegisteredApp:
    client_id: str
    pk: int
    name: str
    domain: str


def registered_app(
    seed: Seeder,
    domain: str = "calgulp.example.com",
    *,
    name: str = "CalGulp",
    certificate: str | None = None,
    verified: bool = True,
) -> RegisteredApp:
    """A web app registered for AuthSub: a client with ``legacy_domain`` (and a certificate for
    secure tokens) written directly, as ``consentry client create --type oauth1 --domain`` would."""
    with seed.db.unit_of_work() as s:
        owner = accounts.find_user(s, "owner@example.com") or accounts.add_user(
            s, "owner@example.com", "owner-password-123"
        )
        project = clients.create_project(s, f"{name} project {new_id(3)}", owner, status="production")
        project.app_name = name
        if verified:
            every = sorted(Catalogue(seed.settings.issuer).by_uri)
            project.declared_scopes = every
            project.approved_scopes = every
        client = Client(
            client_id=f"{new_id(10)}.apps.consentry",
            project_id=project.id,
            name=name,
            client_type="oauth1",
            redirect_uris=[],
            legacy_domain=domain,
            certificate=certificate,
        )
        s.add(client)
        s.flush()
        return RegisteredApp(client.client_id, client.id, name, domain)


# --- the request URL, as gdata built it ----------------------------------------------------------
def v1_url(base: str, next_url: str, scope: str, *, secure: bool = False, session: bool = True) -> str:
    """gdata-python v1 ``auth.GenerateAuthSubUrl``: urlencode of next, scope, secure, session, hd."""
    params = {
        "next": next_url,
        "scope": scope,
        "secure": int(secure),
        "session": int(session),
        "hd": "default",
    }
    return f"{base}/accounts/AuthSubRequest?{urlencode(params)}"


def v2_url(base: str, next_url: str, scopes: list[str], *, secure: bool = False, session: bool = True) -> str:
    """gdata-python v2 ``gauth.generate_auth_sub_url``: the scopes also ride in ``next`` as
    ``auth_sub_scopes`` (Google did not echo them), then session, secure and hd."""
    joined = " ".join(scopes)
    sep = "&" if urlsplit(next_url).query else "?"
    next_with = f"{next_url}{sep}{urlencode({'auth_sub_scopes': joined})}"
    params = {
        "next": next_with,
        "scope": joined,
        "session": int(session),
        "secure": int(secure),
        "hd": "default",
    }
    return f"{base}/accounts/AuthSubRequest?{urlencode(params)}"


# --- headers, as each client library wrote them -------------------------------------------------
def quoted(token: str) -> str:
    return f'AuthSub token="{token}"'


def unquoted(token: str) -> str:
    """gdata-python v1 and v2 (``AUTHSUB_AUTH_LABEL = 'AuthSub token='``)."""
    return f"AuthSub token={token}"


def signed_data(method: str, url: str, *, at: int | None = None, nonce: str | None = None) -> str:
    nonce = nonce or str(secrets.randbits(64))  # "a random 64-bit unsigned decimal"
    return signature.build_data(method, url, at if at is not None else int(time.time()), nonce)


def secure_header(
    token: str,
    method: str,
    url: str,
    *,
    style: str = "v2",
    key_pem: str = PRIVATE_TEST_KEY,
    data: str | None = None,
) -> str:
    """A secure request's header in one client's parameter order.

    ``v2``: gdata-python v2 (unquoted token, sigalg right after it); ``v1``: gdata-python v1 and
    Zend (sigalg last); ``perl``: Net::Google::AuthSub (quoted token, sigalg second).
    """
    data = data or signed_data(method, url)
    sig = signature.sign(data, key_pem)
    if style == "v2":
        return f'AuthSub token={token} sigalg="rsa-sha1" data="{data}" sig="{sig}"'
    if style == "v1":
        return f'AuthSub token="{token}" data="{data}" sig="{sig}" sigalg="rsa-sha1"'
    if style == "perl":
        return f'AuthSub token="{token}" sigalg="rsa-sha1" data="{data}" sig="{sig}"'
    raise ValueError(style)


# --- the access page, over HTTP ----------------------------------------------------------------
def hidden_fields(html: str) -> list[tuple[str, str]]:
    return [(k, unescape(v)) for k, v in HIDDEN_RE.findall(html)]


def post_form(browser: Browser, page: httpx.Response, extra: list[tuple[str, str]]) -> httpx.Response:
    """Post the page's form with its hidden fields plus ``extra`` (what a browser sends)."""
    m = FORM_RE.search(page.text)
    assert m, page.text[:2000]
    action = unescape(m.group(1))
    data = hidden_fields(page.text) + extra
    return browser.http.post(
        browser.base + action,
        content=urlencode(data),
        headers={"content-type": "application/x-www-form-urlencoded"},
        follow_redirects=False,
    )


def open_request(browser: Browser, url: str, email: str, password: str = PASSWORD) -> httpx.Response:
    """GET the AuthSubRequest URL, signing in on the way if asked: the access page (or an answer)."""
    page = browser.follow(browser.get(url))
    if page.status_code == 200 and 'action="/signin"' in page.text:
        page = browser.sign_in(page, email, password)
    return page


def go_past_screens(browser: Browser, page: httpx.Response) -> httpx.Response:
    """Continue past the unverified-app / testing screens, if the gate shows one."""
    for _ in range(3):
        if 'name="step" value="screen"' not in page.text:
            return page
        page = post_form(browser, page, [("action", "continue")])
    return page


def decide(browser: Browser, page: httpx.Response, scopes: list[str], allow: bool = True) -> httpx.Response:
    """Answer the consent page: tick ``scopes``, then Allow (or Cancel)."""
    assert 'name="step" value="decide"' in page.text, page.text[:3000]
    extra = [("action", "allow" if allow else "deny")] + [("scope", s) for s in scopes]
    return post_form(browser, page, extra)


def token_from(location: str) -> str:
    """As gdata ``auth_sub_string_from_url`` reads it: the ``token`` query parameter."""
    return parse_qs(urlsplit(location).query)["token"][0]


def approve_all(browser: Browser, url: str, email: str, scopes: list[str]) -> httpx.Response:
    """Request page -> (sign in) -> (screens) -> consent with ``scopes`` ticked -> the redirect."""
    page = go_past_screens(browser, open_request(browser, url, email))
    return decide(browser, page, scopes)


def lines(body: str) -> dict[str, str]:
    """``key=value`` lines, as gdata ``token_from_http_body`` and the Ruby client read them."""
    return dict(line.split("=", 1) for line in body.splitlines() if "=" in line)
