"""AuthSubSessionToken, AuthSubRevokeToken and AuthSubTokenInfo (AUTH3-2, AUTH3-3).

Each is a GET with the token in ``Authorization: AuthSub ...`` (signed for a secure token) and a
plain-text answer old clients parse line by line (protocol/authsub/wire.py). Errors are one line
of text: 401 for a missing, unreadable, unknown, used or badly signed token, 403 for a revoked
one (and, at RevokeToken, for any token that is not live: nothing was revoked).
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from starlette.concurrency import run_in_threadpool
from starlette.responses import PlainTextResponse, Response

from consentry.domain.keys.envelope import Envelope
from consentry.domain.legacy import authsub, tokens
from consentry.domain.tokens.store import Changes, Outcome
from consentry.protocol.authsub import wire
from consentry.web.legacy.authsub_verify import INVALID, Failure, present
from consentry.web.runtime import runtime

router = APIRouter(include_in_schema=False)

_REFUSED = {
    authsub.Refusal.NOT_SESSION: Failure(
        403, INVALID + "this token was requested with session=0 and cannot become a session token."
    ),
    authsub.Refusal.USED: Failure(401, INVALID + "this single-use token was already used (or revoked)."),
    authsub.Refusal.WITHDRAWN: Failure(403, "Token revoked - the user removed this app's access."),
}


def _text(body: str, status: int = 200) -> PlainTextResponse:
    return PlainTextResponse(body, status_code=status, media_type=wire.TEXT)


@router.get("/accounts/AuthSubSessionToken")
async def session_token(request: Request) -> Response:
    """The single-use token in the header becomes a long-lived session token, once."""
    rt = runtime(request)
    found = await present(request)
    if isinstance(found, Failure):
        return found.response(rt.ctx.issuer)
    single = found.single
    if single is None:
        return Failure(401, INVALID + "this is already a session token; use it as it is.").response(
            rt.ctx.issuer
        )
    envelope = Envelope(rt.ctx.settings.secret_key)

    def work() -> tuple[tokens.Issued | None, Changes] | authsub.Refusal:
        with rt.ctx.db.unit_of_work() as db:
            return authsub.upgrade(db, rt.ctx.hasher, envelope, single, rt.ctx.settings.legacy_token_ttl)

    decided = await run_in_threadpool(work)
    if isinstance(decided, authsub.Refusal):
        return _REFUSED[decided].response(rt.ctx.issuer)
    issued, changes = decided
    if await rt.token_store.commit(changes) is not Outcome.COMMITTED:
        return _REFUSED[authsub.Refusal.USED].response(rt.ctx.issuer)
    if issued is None:
        return _REFUSED[authsub.Refusal.WITHDRAWN].response(rt.ctx.issuer)
    return _text(wire.session_body(issued.token, issued.expires_at))


@router.get("/accounts/AuthSubRevokeToken")
async def revoke_token(request: Request) -> Response:
    """Revokes the token in the header (session or single-use); 200 with an empty body."""
    rt = runtime(request)
    found = await present(request)
    if isinstance(found, Failure):
        if found.not_live:
            return Failure(403, found.message).response(rt.ctx.issuer)
        return found.response(rt.ctx.issuer)

    if found.access is not None:
        changes = tokens.revocation(found.access)
    else:
        assert found.single is not None
        changes = authsub.use_up(found.single.key)
    if await rt.token_store.commit(changes) is not Outcome.COMMITTED:
        return Failure(403, "Token revoked - this AuthSub token was already revoked.").response(rt.ctx.issuer)
    return _text("")


@router.get("/accounts/AuthSubTokenInfo")
async def token_info(request: Request) -> Response:
    """``Target``, ``Scope`` (catalogue scope URIs) and ``Secure``; a single-use token is used up."""
    rt = runtime(request)
    found = await present(request)
    if isinstance(found, Failure):
        return found.response(rt.ctx.issuer)
    if found.access is not None:
        a = found.access
        return _text(wire.info_body(a.target, a.scopes, a.secure))
    single = found.single
    assert single is not None

    if await rt.token_store.commit(authsub.use_up(single.key)) is not Outcome.COMMITTED:
        return _REFUSED[authsub.Refusal.USED].response(rt.ctx.issuer)
    return _text(wire.info_body(single.target, single.scopes, single.secure))
