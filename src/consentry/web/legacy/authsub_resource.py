"""AuthSub tokens at the data APIs (``Authorization: AuthSub token="..."``)."""

from __future__ import annotations

from starlette.requests import Request

from consentry.guard import Caller, InvalidToken


async def caller(request: Request, credentials: str) -> Caller:
    raise InvalidToken("AuthSub tokens are not accepted yet")
