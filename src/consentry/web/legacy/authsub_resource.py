"""AuthSub tokens at the data APIs (``Authorization: AuthSub token="..."``, AUTH3-5, AUTH3-7).

The same reading as the token endpoints (authsub_verify.py): with or without quotes, a secure
token only with a valid signature over this very request (method, URL, fresh timestamp, unused
nonce). A session token is used as long as it lives; a single-use token works for one call (the
reference platform allowed that for ``session=0`` apps) and is used up by it.
"""

from __future__ import annotations

from starlette.requests import Request

from consentry.domain.legacy import authsub
from consentry.domain.tokens.store import Outcome
from consentry.guard import Caller, InvalidToken
from consentry.web.legacy import data_auth
from consentry.web.legacy.authsub_verify import Failure, present
from consentry.web.runtime import runtime


async def caller(request: Request, credentials: str) -> Caller:
    """``credentials`` is what follows ``AuthSub``; the whole header is read again by ``present``."""
    found = await present(request)
    if isinstance(found, Failure):
        raise InvalidToken(found.message)
    if found.access is not None:
        return data_auth.caller_of(found.access)
    single = found.single
    assert single is not None
    if await runtime(request).token_store.commit(authsub.use_up(single.key)) is not Outcome.COMMITTED:
        raise InvalidToken("Token invalid - this single-use token was already used (or revoked).")
    return data_auth.caller_of(authsub.as_access(single))
