"""A quota refusal in the token-endpoint family's own format: 429, JSON, ``Retry-After``."""

from __future__ import annotations

from typing import Any

from authlib.oauth2.rfc6749.errors import OAuth2Error


class TooManyRequestsError(OAuth2Error):
    error = "temporarily_unavailable"
    status_code = 429

    def __init__(self, what: str, retry_after: int) -> None:
        super().__init__(f"Too many {what} were requested. Retry after {retry_after} seconds.")
        self.retry_after = retry_after

    def get_headers(self) -> list[tuple[str, Any]]:
        return [*super().get_headers(), ("Retry-After", str(self.retry_after))]
