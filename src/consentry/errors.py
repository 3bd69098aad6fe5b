"""Domain errors and their mapping to each protocol's error format."""

from __future__ import annotations


class DomainError(Exception):
    """A rule of the domain was broken; ``code`` is stable, ``message`` is for people."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


class NeverRedirectError(Exception):
    """An authorization error that must be shown to the user, never sent to a redirect URI.

    Unknown client, unregistered redirect URI: redirecting would make us an open redirector.
    """

    def __init__(self, error: str, description: str) -> None:
        super().__init__(description)
        self.error = error
        self.description = description


#: HTTP status of a DomainError in the JSON APIs; anything not listed is the caller's mistake.
HTTP_STATUS = {"not_found": 404, "conflict": 409, "forbidden": 403, "insufficient_scope": 403}


def http_status(error: DomainError) -> int:
    return HTTP_STATUS.get(error.code, 400)
