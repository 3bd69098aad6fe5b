"""A signed OAuth 1.0a request: parsed by Authlib's ``OAuth1Request``, checked by its signatures.

Parameters come from the ``Authorization: OAuth`` header, the query or a form body (never mixed
for ``oauth_*``, Authlib refuses that). The signature is checked through Authlib's ``BaseServer``
with its HMAC-SHA1 primitive and RSA-SHA1 verifier; PLAINTEXT is refused (it sends the secrets).

Written here, and why: the signature base string. Authlib's ``construct_base_string`` percent-
decodes ``oauth_*`` values a second time after the header parser already decoded them, so a
value holding ``%`` (gdata's ``1%2Fab3...`` token, PLATFORM_RULES §4 vector 8) would be signed
differently from what the client signed; and it drops a ``realm`` sent in the query or body,
which RFC 5849 3.4.1.3.1 excludes only from the header. We compose the string from Authlib's own
``normalize_base_string_uri`` and ``normalize_parameters`` over the values decoded once.
"""

from __future__ import annotations

import binascii
import hmac
from typing import Any

from authlib.oauth1.rfc5849.base_server import BaseServer
from authlib.oauth1.rfc5849.errors import OAuth1Error
from authlib.oauth1.rfc5849.models import ClientMixin, TokenCredentialMixin
from authlib.oauth1.rfc5849.rsa import verify_sha1
from authlib.oauth1.rfc5849.signature import (
    SIGNATURE_HMAC_SHA1,
    SIGNATURE_RSA_SHA1,
    hmac_sha1_signature,
    normalize_base_string_uri,
    normalize_parameters,
)
from authlib.oauth1.rfc5849.util import escape
from authlib.oauth1.rfc5849.wrapper import OAuth1Request

from consentry.domain.legacy.replay import SKEW, fresh_timestamp
from consentry.protocol.oauth1.problems import Problem, from_authlib

#: oauth_version, when sent (gdata sends "1.0"; its docs allowed "1.0a").
VERSIONS = ("1.0", "1.0a")
#: What every signed request carries (RFC 5849 3.1; the timestamp and nonce are not optional here).
REQUIRED = (
    "oauth_consumer_key",
    "oauth_signature_method",
    "oauth_signature",
    "oauth_timestamp",
    "oauth_nonce",
)


def parse(method: str, uri: str, authorization: str | None, body: str = "") -> OAuth1Request:
    """Authlib's request over ``uri`` (the public address: issuer + path + query).

    ``body`` is the form body, or "" when the request carries none (RFC 5849 3.4.1.3.1: only a
    form-encoded body takes part in the signature). No ``Host`` header is passed: the base string
    is built on the issuer, the address clients were told to sign.
    """
    headers = {"Authorization": authorization} if authorization else {}
    try:
        request = OAuth1Request(method.upper(), uri, body or None, headers)
    except OAuth1Error as error:
        raise from_authlib(error) from None
    except ValueError:
        raise Problem(
            "parameter_rejected", "the Authorization header, query or body is not valid OAuth 1.0a"
        ) from None
    _each_once(request)
    return request


def _each_once(request: OAuth1Request) -> None:
    """RFC 5849 3.1: each protocol parameter at most once, across header, query and body. Authlib
    keeps one of the copies; a second reader could pick the other, so neither is allowed."""
    seen: set[str] = set()
    pairs = (*request.query_params, *request.body_params, *(request.auth_params or ()))
    for name, _value in pairs:
        if name.startswith("oauth_"):
            if name in seen:
                raise Problem(
                    "parameter_rejected",
                    f"{name} appears more than once: send it once",
                    rejected=(name,),
                )
            seen.add(name)


def oauth(request: OAuth1Request, name: str) -> str:
    """An ``oauth_*`` protocol parameter, "" when absent."""
    return str(request.oauth_params.get(name) or "")


def param(request: OAuth1Request, name: str) -> str | None:
    """A request parameter (query or form body; first value), None when absent."""
    for k, v in (*request.query_params, *request.body_params):
        if k == name:
            return str(v)
    return None


def require(request: OAuth1Request, *names: str) -> None:
    missing = [n for n in (REQUIRED + names) if not oauth(request, n)]
    if missing:
        raise Problem("parameter_absent", "send " + ", ".join(missing), absent=tuple(missing))
    version = oauth(request, "oauth_version")
    if version and version not in VERSIONS:
        raise Problem(
            "version_rejected", "send oauth_version=1.0", extra=(("oauth_acceptable_versions", "1.0-1.0"),)
        )


def check_timestamp(request: OAuth1Request, at: int) -> None:
    """``oauth_timestamp`` within ``SKEW`` seconds of our clock, else ``timestamp_refused``."""
    if not fresh_timestamp(oauth(request, "oauth_timestamp"), at):
        raise Problem(
            "timestamp_refused",
            "the timestamp is too far from the server's clock: check the device's time",
            extra=(("oauth_acceptable_timestamps", f"{at - SKEW}-{at + SKEW}"),),
        )


def base_string(request: OAuth1Request) -> str:
    """RFC 5849 3.4.1 over the values as sent (decoded once); see the module docstring."""
    params = [
        *request.query_params,
        *request.body_params,
        *((k, v) for k, v in request.auth_params if k != "realm"),
    ]
    signed = [(k, v) for k, v in params if k != "oauth_signature"]
    return "&".join(
        (
            escape(request.method.upper()),
            escape(normalize_base_string_uri(request.uri)),
            escape(normalize_parameters(signed)),
        )
    )


def _verify_hmac(request: OAuth1Request) -> bool:
    expected = hmac_sha1_signature(base_string(request), request.client_secret, request.token_secret)
    return hmac.compare_digest(expected.encode(), str(request.signature).encode())


def _verify_rsa(request: OAuth1Request) -> bool:
    try:
        signature = binascii.a2b_base64(str(request.signature).encode())
    except (binascii.Error, ValueError):
        return False
    return bool(verify_sha1(signature, base_string(request).encode(), request.rsa_public_key))


class _Consumer(ClientMixin):
    def __init__(self, secret: str, public_key: str | None) -> None:
        self.secret = secret
        self.public_key = public_key

    def get_client_secret(self) -> str:
        return self.secret

    def get_rsa_public_key(self) -> str | None:
        return self.public_key


class _Token(TokenCredentialMixin):
    def __init__(self, secret: str) -> None:
        self.secret = secret

    def get_oauth_token_secret(self) -> str:
        return self.secret


class Verifier(BaseServer):
    """Authlib's signature check with our base string; HMAC-SHA1 and RSA-SHA1 only."""

    SIGNATURE_METHODS: dict[str, Any] = {SIGNATURE_HMAC_SHA1: _verify_hmac, SIGNATURE_RSA_SHA1: _verify_rsa}
    SUPPORTED_SIGNATURE_METHODS = [SIGNATURE_HMAC_SHA1, SIGNATURE_RSA_SHA1]


_VERIFIER = Verifier()


def check_signature(
    request: OAuth1Request, *, consumer_secret: str, public_key: str | None, token_secret: str = ""
) -> None:
    """Raise a Problem unless the request is signed by this consumer (and token, if any)."""
    if request.signature_method == SIGNATURE_RSA_SHA1 and not public_key:
        raise Problem(
            "signature_method_rejected",
            "RSA-SHA1 needs a certificate registered for this consumer; sign with HMAC-SHA1",
        )
    request.client = _Consumer(consumer_secret, public_key)
    request.credential = _Token(token_secret)
    try:
        _VERIFIER.validate_oauth_signature(request)
    except OAuth1Error as error:
        raise from_authlib(error) from None
