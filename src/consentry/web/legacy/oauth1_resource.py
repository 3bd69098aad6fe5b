"""OAuth 1.0a signed requests to the data APIs (``Authorization: OAuth ...``)."""

from __future__ import annotations

from starlette.requests import Request

from consentry.guard import Caller, InvalidToken


async def caller(request: Request, credentials: str) -> Caller:
    raise InvalidToken("OAuth 1.0a requests are not accepted yet")
