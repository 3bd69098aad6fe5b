"""The one error mapper of the protocol endpoints: every failure as RFC 6749 / 7009 / 7662 JSON.

The same failure gets the same answer on every endpoint: Authlib's errors keep their code and
status; a malformed request is 400 ``invalid_request``; a database that cannot answer (down,
restarting, a batch that failed) is 503 ``temporarily_unavailable`` with ``Retry-After``, since
trying again shortly will work; only a bug is 500 ``server_error``. Nothing carries a trace.
"""

from __future__ import annotations

import logging
from typing import Any

from authlib.oauth2.rfc6749.errors import OAuth2Error

from consentry.errors import DomainError
from consentry.storage.outage import is_storage_outage

log = logging.getLogger(__name__)

Answer = tuple[int, Any, list[tuple[str, str]]]
#: Seconds a client should wait after a storage outage; short, since most outages are restarts.
RETRY_AFTER = 5


def error(
    code: str, description: str, status: int = 400, headers: list[tuple[str, str]] | None = None
) -> Answer:
    return status, {"error": code, "error_description": description}, list(headers or [])


def authlib_error(exc: OAuth2Error) -> Answer:
    status, body, headers = exc(None)
    return int(status), dict(body), list(headers)


def storage_unavailable() -> Answer:
    return error(
        "temporarily_unavailable", "Try again in a moment.", 503, [("Retry-After", str(RETRY_AFTER))]
    )


def from_exception(exc: Exception, where: str) -> Answer:
    """The answer for an exception that escaped an endpoint; logged unless it is the caller's fault."""
    if isinstance(exc, OAuth2Error):
        return authlib_error(exc)
    if isinstance(exc, ValueError):
        # Authlib refuses to build an error whose description would echo non-ASCII input.
        return error("invalid_request", "Malformed request.")
    if isinstance(exc, DomainError):  # e.g. a value no column can hold (storage/unstorable.py)
        return error("invalid_request", exc.message)
    if is_storage_outage(exc):
        log.error("%s: storage unavailable: %r", where, exc)
        return storage_unavailable()
    log.exception("%s failed", where)
    return error("server_error", "Internal error.", 500)
