"""Turn a ``GuardError`` into the JSON response an API client expects (RFC 6750 §3)."""

from __future__ import annotations

import logging

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from consentry.guard.errors import GuardError, VerifierUnavailable

log = logging.getLogger("consentry.guard")


def report(error: GuardError) -> None:
    """Log what the operator must fix: 503s turn every caller away, whatever their token."""
    if isinstance(error, VerifierUnavailable):
        log.warning("consentry.guard: answering 503: %s", error.description)


def error_response(error: GuardError) -> JSONResponse:
    # no-store: an error about one token must not be served from a cache to another caller.
    headers = {**(error.headers or {}), "Cache-Control": "no-store"}
    return JSONResponse(error.body(), status_code=error.status_code, headers=headers)


async def guard_error_handler(request: Request, exc: Exception) -> Response:
    """Starlette/FastAPI exception handler; registered by ``Guard.install``."""
    if not isinstance(exc, GuardError):  # pragma: no cover - only registered for GuardError
        raise exc
    return error_response(exc)
