"""Errors a verifier or guard raises, each knowing its HTTP status and RFC 6750 error code.

They subclass Starlette's ``HTTPException`` so that, even when the adopter never installs the
guard's handler, FastAPI still answers with the right status and ``WWW-Authenticate`` header.
"""

from __future__ import annotations

from collections.abc import Iterable

from starlette.exceptions import HTTPException

from consentry.guard.challenge import bearer_challenge


class GuardError(HTTPException):
    """Base class; ``error`` is the RFC 6750 code, or None when the caller sent no credentials."""

    status: int = 401
    error: str | None = "invalid_token"
    #: Whether new credentials could fix it; if so, a Bearer challenge tells the client how.
    challenges: bool = True
    #: Whether the challenge repeats the description (the JSON body always has it).
    describe_in_header: bool = True

    def __init__(self, description: str, *, scope: Iterable[str] = (), realm: str | None = None) -> None:
        self.description = description
        self.required_scope: tuple[str, ...] = tuple(scope)
        super().__init__(self.status, detail=description, headers=self.challenge(realm))

    def challenge(self, realm: str | None) -> dict[str, str]:
        """Response headers for this error; the realm is the guard's, so it is set late."""
        if not self.challenges:
            return {}
        description = self.description if self.describe_in_header else None
        challenge = bearer_challenge(realm, self.error, description, self.required_scope)
        return {"WWW-Authenticate": challenge}

    def with_realm(self, realm: str | None) -> GuardError:
        self.headers = self.challenge(realm)
        return self

    def body(self) -> dict[str, str]:
        """RFC 6749 §5.2-shaped body; no ``error`` key when the header carries none (RFC 6750 §3.1)."""
        out = {"error_description": self.description}
        if self.error is not None:
            out = {"error": self.error, **out}
        return out


class MissingToken(GuardError):
    """No bearer credentials at all: 401 with a bare challenge, no error code (RFC 6750 §3.1)."""

    error = None


class InvalidRequest(GuardError):
    """The request itself is wrong, e.g. a token in the query string (RFC 6750 §3.1, RFC 9700)."""

    status = 400
    error = "invalid_request"


class InvalidToken(GuardError):
    """Malformed, expired, revoked, or otherwise unacceptable token."""


class InsufficientScope(GuardError):
    """The token is fine but does not carry the scope the route needs."""

    status = 403
    error = "insufficient_scope"
    describe_in_header = False  # the scope attribute already says what is missing


class VerifierUnavailable(GuardError):
    """The issuer could not be asked; the token may well be valid, so 503 rather than 401."""

    status = 503
    error = "temporarily_unavailable"
    challenges = False


class NoRule(GuardError):
    """GuardMiddleware with ``default_deny``: no rule names this request, so nobody may make it."""

    status = 403
    error = "access_denied"
    challenges = False
