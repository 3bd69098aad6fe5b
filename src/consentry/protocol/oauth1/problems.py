"""Errors as the OAuth Problem Reporting extension spells them (``oauth_problem=...``).

Old clients read the body as a form: ``oauth_problem`` names the problem, ``oauth_problem_advice``
says what to fix, ``oauth_parameters_absent`` / ``oauth_parameters_rejected`` name parameters and
``oauth_acceptable_timestamps`` / ``oauth_acceptable_versions`` give ranges. Statuses follow RFC
5849 3.2: 400 for a malformed request, 401 for credentials, with ``WWW-Authenticate: OAuth``.
"""

from __future__ import annotations

from urllib.parse import quote

from authlib.oauth1.rfc5849 import errors as authlib_errors

#: Problems about the request's shape (400); every other one is about credentials (401).
BAD_REQUEST = frozenset(
    {"parameter_absent", "parameter_rejected", "signature_method_rejected", "version_rejected"}
)
FORM = "application/x-www-form-urlencoded"


def encode(pairs: list[tuple[str, str]]) -> str:
    """``k=v&k=v`` with RFC 3986 encoding (only ``~`` left alone), as the clients decode it."""
    return "&".join(f"{quote(k, safe='~')}={quote(v, safe='~')}" for k, v in pairs)


class Problem(Exception):
    """One refused OAuth 1.0a request; ``problem`` is the extension's code."""

    def __init__(
        self,
        problem: str,
        advice: str = "",
        *,
        status: int | None = None,
        absent: tuple[str, ...] = (),
        rejected: tuple[str, ...] = (),
        extra: tuple[tuple[str, str], ...] = (),
        retry_after: int = 0,
    ) -> None:
        super().__init__(f"{problem}: {advice}" if advice else problem)
        self.problem = problem
        self.advice = advice
        self.status = status or (400 if problem in BAD_REQUEST else 401)
        self.absent = absent
        self.rejected = rejected
        self.extra = extra
        self.retry_after = retry_after

    def pairs(self) -> list[tuple[str, str]]:
        out = [("oauth_problem", self.problem)]
        if self.absent:
            out.append(("oauth_parameters_absent", "&".join(self.absent)))
        if self.rejected:
            out.append(("oauth_parameters_rejected", "&".join(self.rejected)))
        out.extend(self.extra)
        if self.advice:
            out.append(("oauth_problem_advice", self.advice))
        return out

    def body(self) -> str:
        return encode(self.pairs())

    def headers(self, realm: str) -> list[tuple[str, str]]:
        out = [("Content-Type", FORM), ("Cache-Control", "no-store"), ("Pragma", "no-cache")]
        if self.status == 401:
            out.append(("WWW-Authenticate", f'OAuth realm="{realm}"'))
        if self.retry_after:
            out.append(("Retry-After", str(self.retry_after)))
        return out


def absent(name: str) -> Problem:
    return Problem("parameter_absent", f"send {name}", absent=(name,))


def rejected(name: str, advice: str) -> Problem:
    return Problem("parameter_rejected", advice, rejected=(name,))


def from_authlib(error: authlib_errors.OAuth1Error) -> Problem:
    """Authlib's RFC 5849 errors in the Problem Reporting vocabulary."""
    if isinstance(error, authlib_errors.MissingRequiredParameterError):
        name = str(error.description or "").split('"')[1:2] or ["a required parameter"]
        return absent(name[0])
    if isinstance(error, authlib_errors.UnsupportedSignatureMethodError):
        return Problem("signature_method_rejected", "sign with HMAC-SHA1 or RSA-SHA1")
    if isinstance(error, authlib_errors.InvalidSignatureError):
        return Problem("signature_invalid", "the signature does not match the request")
    if isinstance(error, authlib_errors.DuplicatedOAuthProtocolParameterError):
        return Problem(
            "parameter_rejected", "send the oauth_ parameters in one place: the header, the query or the body"
        )
    if isinstance(error, authlib_errors.InsecureTransportError):
        return Problem("parameter_rejected", "OAuth 1.0a requests must use https", status=400)
    return Problem("parameter_rejected", str(error.description or error.error or "bad request"))
