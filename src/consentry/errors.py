"""Domain errors, one class per code, and the kind of authorization error that never redirects.

Every layer renders these the same way: the JSON API as ``{"error": code, "message": ...}`` with
the class's status, pages as a page saying what to fix, the CLI as exit 2 (the caller's mistake)
or 1 (ours). A handler never invents its own error shape.
"""

from __future__ import annotations


class DomainError(Exception):
    """A rule of the domain was broken; ``code`` is stable, ``message`` is for people."""

    #: HTTP status in the JSON APIs.
    status = 400
    #: Whether the caller can fix it (CLI exit 2) or it is ours (exit 1).
    callers_fault = True

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


class InvalidInput(DomainError):
    """The request is malformed or breaks a rule; the message says what to fix."""


class NotFound(DomainError):
    status = 404

    def __init__(self, what: str, message: str | None = None) -> None:
        super().__init__("not_found", message or f"no {what}")


class Conflict(DomainError):
    """The change contradicts the current state (already exists, wrong review state)."""

    status = 409


class Forbidden(DomainError):
    status = 403

    def __init__(self, message: str = "you may not do this", code: str = "forbidden") -> None:
        super().__init__(code, message)


class LimitReached(DomainError):
    """A fixed limit of the platform (100 test users, three documentation links, ...)."""

    def __init__(self, message: str) -> None:
        super().__init__("limit", message)


#: Codes raised as a plain DomainError before the classes existed; their status stays stable.
HTTP_STATUS = {
    "not_found": 404,
    "conflict": 409,
    "exists": 409,
    "forbidden": 403,
    "insufficient_scope": 403,
    "rate_limited": 429,
}


def http_status(error: DomainError) -> int:
    if type(error) is DomainError:
        return HTTP_STATUS.get(error.code, 400)
    return error.status
