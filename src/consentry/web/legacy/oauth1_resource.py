"""OAuth 1.0a signed requests to the data APIs (``Authorization: OAuth ...``), AUTH0-4.

The request must be signed by the consumer the access token was issued to, with the token's
secret (HMAC-SHA1) or the consumer's registered key (RSA-SHA1), fresh, and never replayed. The
token is found only as an OAuth 1.0a token (domain/legacy/tokens.py), live, its app and user
active; then the data API applies the same scope checks and access log as for every caller.
"""

from __future__ import annotations

from authlib.oauth1.rfc5849.wrapper import OAuth1Request
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request

from consentry.domain.legacy import tokens
from consentry.guard import Caller, InvalidToken
from consentry.protocol.oauth1 import signed
from consentry.protocol.oauth1.problems import Problem
from consentry.web.legacy import oauth1_glue as glue
from consentry.web.legacy.data_auth import caller_of, legacy_access
from consentry.web.runtime import Runtime, runtime


def _verified(rt: Runtime, req: OAuth1Request, access: tokens.LegacyAccess | None) -> tokens.LegacyAccess:
    if access is None:
        raise Problem("token_rejected", "the access token is invalid, expired or revoked")
    with rt.ctx.db.unit_of_work() as db:
        consumer = glue.known_consumer(db, rt, req)
        if consumer.pk != access.client_pk:
            raise Problem("token_rejected", "this access token belongs to another consumer")
        glue.signer(db, rt, req, token_secret=access.secret or "", consumer=consumer)
        glue.first_use(db, rt, req, consumer)
        return access


async def caller(request: Request, credentials: str) -> Caller:
    rt = runtime(request)
    try:
        req = await glue.read(rt, request)
        signed.require(req, "oauth_token")
        found = await legacy_access(rt, "oauth1", signed.oauth(req, "oauth_token"))
        access = await run_in_threadpool(_verified, rt, req, found)
    except Problem as problem:
        advice = f": {problem.advice}" if problem.advice else ""
        raise InvalidToken(f"oauth_problem={problem.problem}{advice}") from None
    return caller_of(access)
