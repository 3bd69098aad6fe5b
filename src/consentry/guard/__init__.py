"""consentry.guard: protect your own API with tokens issued by Consentry.

Import only this package (it depends on httpx, joserfc, Starlette and FastAPI, never on the rest
of Consentry). See docs/guard.md.
"""

from consentry.guard.asgi import GuardMiddleware, Rule
from consentry.guard.caller import Caller
from consentry.guard.errors import (
    GuardError,
    InsufficientScope,
    InvalidRequest,
    InvalidToken,
    MissingToken,
    NoRule,
    VerifierUnavailable,
)
from consentry.guard.fastapi import Guard
from consentry.guard.remote import RemoteVerifier
from consentry.guard.responses import error_response, guard_error_handler
from consentry.guard.verifier import TokenVerifier

__all__ = [
    "Caller",
    "Guard",
    "GuardError",
    "GuardMiddleware",
    "InsufficientScope",
    "InvalidRequest",
    "InvalidToken",
    "MissingToken",
    "NoRule",
    "RemoteVerifier",
    "Rule",
    "TokenVerifier",
    "VerifierUnavailable",
    "error_response",
    "guard_error_handler",
]
