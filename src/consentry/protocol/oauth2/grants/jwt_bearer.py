"""The JWT bearer grant (RFC 7523 section 2.1, AUTH2-5): a service account signs an assertion with
one of its keys and gets an access token, for itself or, with ``sub``, for a user of an
organization whose admins delegated the scopes to it (domain-wide delegation).

On Authlib's ``JWTBearerGrant``: its assertion parsing and token response are kept; the checks
are ours, each with its own description, because Authlib's generic ones ("Invalid JWT assertion")
do not tell a developer which of the key, audience, lifetime or delegation to fix. As for every
grant, everything is read before Authlib runs (:func:`lookup`, from the unverified assertion);
the assertion's ``jti`` is claimed by the commit, atomically (``used_assertions``).
"""

from __future__ import annotations

import base64
import json
import re
from typing import Any

from authlib.oauth2.rfc6749.errors import (
    InvalidGrantError,
    InvalidRequestError,
    InvalidScopeError,
    UnauthorizedClientError,
)
from authlib.oauth2.rfc6749.hooks import hooked
from authlib.oauth2.rfc7523 import JWTBearerGrant as _Grant
from authlib.oauth2.rfc7523.jwt_bearer import JWT_BEARER_GRANT_TYPE
from joserfc import jwt
from joserfc.errors import BadSignatureError, JoseError
from joserfc.jwk import RSAKey

from consentry.domain.scopes.catalogue import SIGN_IN
from consentry.domain.secrets import Hasher
from consentry.domain.service_accounts.keys import ALG
from consentry.domain.tokens.records import UserRecord
from consentry.domain.tokens.store import AssertionClaim, Found, Lookup
from consentry.protocol.oauth2 import exchange
from consentry.protocol.oauth2.models import ClientModel
from consentry.storage.tables.base import now

GRANT_TYPE = JWT_BEARER_GRANT_TYPE
#: Seconds of clock skew allowed on ``iat``, ``exp`` and ``nbf``.
LEEWAY = 60
#: An assertion lives at most an hour (``exp - iat``), as on the reference platform.
MAX_LIFETIME = 3600
#: What an ``iss`` or ``sub`` may look like before anything is looked up (an address, in ASCII).
_ADDRESS = re.compile(r"^[A-Za-z0-9._%+'\-]{1,64}@[A-Za-z0-9.\-]{1,253}$")


# --- before Authlib: what to read ------------------------------------------------------------
def lookup(assertion: str | None, hasher: Hasher) -> Lookup:
    """What the request needs read, from the assertion's claims before they are verified (they
    only say which rows to read; :class:`JWTBearerGrant` verifies everything on those rows).
    Never a client_id: the service account the ``iss`` names is the request's client."""
    claims = _unverified_claims(assertion or "")
    iss = _address(claims.get("iss"))
    if iss is None:
        return Lookup()
    sub = _address(claims.get("sub"))
    return Lookup(
        service_email=iss,
        subject_email=sub.lower() if sub else None,
        assertion_key=replay_key(hasher, iss, claims.get("jti")),
    )


def replay_key(hasher: Hasher, iss: str, jti: Any) -> str | None:
    """The key that makes an assertion with a ``jti`` single-use (None without one).

    Without a ``jti`` nothing tells a replay from a new request: google-auth sends none and signs
    a new assertion per refresh, but two refreshes in one second (its retry after a 401) are
    byte-identical, so refusing the second would break it. Such assertions are bounded by their
    lifetime (an hour at most) instead; docs/service-accounts.md recommends a ``jti``.
    """
    if isinstance(jti, str) and jti:
        return hasher.hash(f"jwt-bearer:{iss}:jti:{jti}")
    return None


def _unverified_claims(assertion: str) -> dict[str, Any]:
    parts = assertion.split(".")
    if len(parts) != 3 or len(assertion) > 16_384:
        return {}
    try:
        claims = json.loads(base64.urlsafe_b64decode(parts[1] + "=" * (-len(parts[1]) % 4)))
    except ValueError:
        return {}
    return claims if isinstance(claims, dict) else {}


def _address(value: Any) -> str | None:
    return value if isinstance(value, str) and len(value) <= 320 and _ADDRESS.fullmatch(value) else None


# --- the grant -----------------------------------------------------------------------------------
class JWTBearerGrant(_Grant):
    """``register_grant(JWTBearerGrant, [TokenGate(ctx)])``: the gate's hook runs before tokens."""

    LEEWAY = LEEWAY

    def validate_token_request(self) -> None:
        assertion = self.request.form.get("assertion")
        if not assertion:
            raise InvalidRequestError("Missing 'assertion' in request.")
        found = exchange.current().found
        headers, unverified = self.extract_assertion(assertion)  # invalid_grant if not a JWT
        row = found.client
        if _address(unverified.get("iss")) is None:
            raise InvalidGrantError("The assertion needs an 'iss' claim: the service account's client_email.")
        if row is None or row.client_type != "service":
            raise InvalidGrantError("The assertion's issuer (iss) is not a service account of this server.")
        if row.disabled:
            raise InvalidGrantError("This service account is disabled or was deleted.")
        claims = self._verified(assertion, headers, found)
        self._check_times(claims)
        self._check_audience(claims)
        key = replay_key(self.server.ctx.hasher, claims["iss"], claims.get("jti"))
        if key is not None and found.assertion_used:
            raise InvalidGrantError(
                "This assertion was used before: sign a new one (with a new jti) per request."
            )
        self.request.client = ClientModel(row, self.server.ctx.hasher)
        scopes = self._requested_scopes(claims)
        sub = claims.get("sub")
        if sub is None:
            self._check_own_scopes(scopes)
        else:
            self.request.user = self._delegated_user(sub, scopes, found)
        # The scope may come from the claim, which ``payload.scope`` does not see: hooks read it here.
        self.request.consentry["scope"] = " ".join(scopes)
        self.request.consentry["assertion"] = AssertionClaim(key, claims["exp"] + LEEWAY) if key else None

    @hooked
    def create_token_response(self) -> tuple[int, dict[str, Any], list[tuple[str, str]]]:
        """The token, and the assertion's ``jti`` claimed with it: the commit refuses a second use.
        No refresh token: the service account signs a new assertion when the token expires."""
        token: dict[str, Any] = self.generate_token(
            scope=self.request.consentry["scope"], user=self.request.user, include_refresh_token=False
        )
        exchange.current().changes.claim_assertion = self.request.consentry["assertion"]
        self.save_token(token)
        return 200, token, self.TOKEN_RESPONSE_HEADER

    # --- the assertion ---------------------------------------------------------------------------
    @staticmethod
    def _verified(assertion: str, headers: dict[str, Any], found: Found) -> dict[str, Any]:
        """The claims, once the signature verifies with the enabled key the header's ``kid`` names."""
        if headers.get("alg") != ALG:
            raise InvalidGrantError(f"Sign the assertion with {ALG}: service-account keys are RSA keys.")
        kid = headers.get("kid")
        if not isinstance(kid, str) or not kid:
            raise InvalidGrantError("The assertion's header needs a 'kid': the key file's private_key_id.")
        key = next((k for k in found.service_keys if k.kid == kid), None)
        if key is None:
            raise InvalidGrantError("The assertion's key (kid) is not a key of this service account.")
        if key.disabled:
            raise InvalidGrantError(
                "The assertion's key (kid) is disabled: use another key of the service account."
            )
        try:
            token = jwt.decode(assertion, RSAKey.import_key(key.public_jwk), algorithms=[ALG])
        except BadSignatureError:
            raise InvalidGrantError("The assertion's signature does not verify with its key (kid).") from None
        except (JoseError, ValueError):
            raise InvalidGrantError("Invalid JWT assertion.") from None
        return dict(token.claims)

    @staticmethod
    def _check_times(claims: dict[str, Any]) -> None:
        t = now()
        exp, iat, nbf = _number(claims.get("exp")), _number(claims.get("iat")), claims.get("nbf")
        if exp is None or iat is None:
            raise InvalidGrantError(
                "The assertion needs numeric 'iat' and 'exp' claims (seconds since 1970)."
            )
        if nbf is not None and ((start := _number(nbf)) is None or start > t + LEEWAY):
            raise InvalidGrantError("The assertion is not valid yet (nbf).")
        if iat > t + LEEWAY:
            raise InvalidGrantError("The assertion was issued in the future (iat): check the signer's clock.")
        if exp <= iat:
            raise InvalidGrantError("The assertion expires (exp) before it was issued (iat).")
        if exp - iat > MAX_LIFETIME:
            raise InvalidGrantError("The assertion's lifetime (exp - iat) is over one hour.")
        if exp <= t - LEEWAY:
            raise InvalidGrantError("The assertion has expired (exp).")
        claims["exp"] = int(exp)

    def _check_audience(self, claims: dict[str, Any]) -> None:
        aud = claims.get("aud")
        endpoint = self.server.ctx.endpoint("/token")
        audiences = aud if isinstance(aud, list) else [aud]
        if endpoint not in audiences:
            raise InvalidGrantError(
                f"The assertion's audience (aud) must be this server's token endpoint, {endpoint}."
            )

    # --- what the token may carry --------------------------------------------------------------
    def _requested_scopes(self, claims: dict[str, Any]) -> list[str]:
        """The ``scope`` claim (google-auth's way) or the ``scope`` parameter (RFC 7523's); known URIs."""
        claimed, param = claims.get("scope"), self.request.payload.scope
        if claimed is not None and not isinstance(claimed, str):
            raise InvalidScopeError("The assertion's 'scope' claim must be a space-separated string.")
        if claimed and param and claimed.split() != param.split():
            raise InvalidScopeError("The 'scope' parameter and the assertion's 'scope' claim differ.")
        scopes = list(dict.fromkeys((claimed or param or "").split()))
        if not scopes:
            raise InvalidScopeError("Name the scopes the token needs in the assertion's 'scope' claim.")
        if not set(scopes).issubset(self.server.ctx.catalogue.by_uri):
            raise InvalidScopeError("The request names a scope this server does not know.")
        return scopes

    def _check_own_scopes(self, scopes: list[str]) -> None:
        """Without ``sub`` the token is the service account's own: its project's declared scopes."""
        declared = self.request.client.row.app.declared
        undeclared = [self._name(s) for s in scopes if s not in SIGN_IN and s not in declared]
        if undeclared:
            raise InvalidScopeError(
                f"The service account's project has not declared {', '.join(undeclared)}: declare it, "
                "or act for a user of an organization that delegated it (sub)."
            )

    def _delegated_user(self, sub: Any, scopes: list[str], found: Found) -> UserRecord:
        """The user ``sub`` names, if their organization's admins delegated every scope asked."""
        email = _address(sub)
        if email is None:
            raise InvalidGrantError("The assertion's 'sub' must be the email address of a user.")
        email = email.lower()
        user, delegated = found.subject, found.delegated
        names = [self._name(s) for s in scopes]
        missing = names if user is None or delegated is None else [n for n in names if n not in delegated]
        if missing:
            domain = email.rsplit("@", 1)[1]
            raise UnauthorizedClientError(
                f"Domain-wide delegation is missing for {email}: no admin of {domain} delegated "
                f"{', '.join(missing)} to this service account."
            )
        if user is None or user.disabled:  # (no user: ``missing`` above already refused)
            raise InvalidGrantError("The account the assertion's 'sub' names is disabled.")
        return user

    def _name(self, uri: str) -> str:
        info = self.server.ctx.catalogue.get(uri)
        return info.name if info is not None else "a scope"


def _number(value: Any) -> float | None:
    """A NumericDate (RFC 7519), or None for anything else (a string, a boolean, a huge number)."""
    if isinstance(value, int | float) and not isinstance(value, bool) and abs(value) < 2**53:
        return value
    return None
