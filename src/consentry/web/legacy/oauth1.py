"""OAuthGetRequestToken and OAuthGetAccessToken (AUTH1-1..6, AUTH1-10, AUTH1-14).

Both answer ``application/x-www-form-urlencoded`` bodies, byte for byte what gdata parses
(``oauth_token=...&oauth_token_secret=...``), or ``oauth_problem=...`` (protocol/oauth1/problems.py).
Parameters may come in the ``Authorization: OAuth`` header, the query or a form body, on GET or
POST (gdata v1 GETs, gdata v2 POSTs an empty body with ``scope`` in the query).
"""

from __future__ import annotations

from dataclasses import dataclass

from authlib.oauth1.rfc5849.wrapper import OAuth1Request
from fastapi import APIRouter
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response

from consentry.domain.legacy import oauth1_exchange, oauth1_requests
from consentry.domain.legacy.consumers import Consumer
from consentry.domain.legacy.scope_map import LegacyScopes
from consentry.domain.legacy.unregistered import Kind
from consentry.domain.ratelimit.limits import Limit
from consentry.domain.tokens.records import UserRecord
from consentry.domain.tokens.store import Changes, Outcome
from consentry.protocol.oauth1 import hybrid, signed, wire
from consentry.protocol.oauth1.problems import Problem, rejected
from consentry.storage.tables.base import now
from consentry.web.client_address import client_address
from consentry.web.legacy import oauth1_glue as glue
from consentry.web.runtime import Runtime, runtime

router = APIRouter(include_in_schema=False)

REQUEST_TOKEN = "/accounts/OAuthGetRequestToken"
ACCESS_TOKEN = "/accounts/OAuthGetAccessToken"
DEVICE_PAGE = "/accounts/OAuthDevice"
_scopes: dict[str, LegacyScopes] = {}


def legacy_scopes(rt: Runtime) -> LegacyScopes:
    """One table per issuer, built once (the catalogue check runs at the first request)."""
    table = _scopes.get(rt.ctx.issuer)
    if table is None:
        table = _scopes[rt.ctx.issuer] = LegacyScopes(rt.ctx.catalogue, rt.ctx.issuer)
    return table


def _limits(rt: Runtime) -> tuple[Limit, Limit]:
    """Request tokens are rows stored before anyone signed in: ``anonymous`` (whose secret is
    public) is counted per client address, a registered consumer per consumer key."""
    s = rt.ctx.settings
    return (
        Limit("oauth1.request_token.address", s.flow_address_limit, 60),
        Limit("oauth1.request_token.client", s.flow_client_limit, 60),
    )


def _charge(rt: Runtime, req: OAuth1Request, address: str) -> Consumer:
    """Signed by a known consumer, then counted against its quota; committed even if refused."""
    with rt.ctx.db.unit_of_work() as db:
        consumer = glue.signer(db, rt, req)
        by_address, by_client = _limits(rt)
        anonymous = consumer.key == Kind.OAUTH1.value
        hit = (by_address, address) if anonymous else (by_client, consumer.key)
        verdict = rt.ctx.quotas.limiter.first_refusal(rt.ctx.quotas.counters(db), [hit], now())
    if verdict is not None:
        raise Problem(
            "consumer_key_refused",
            "too many request tokens: wait and try again",
            status=429,
            retry_after=verdict.retry_after,
        )
    return consumer


def _request_token(rt: Runtime, req: OAuth1Request, address: str) -> Response:
    signed.require(req)
    params = wire.token_request(req)
    resolved = legacy_scopes(rt).resolve(params.scope)
    if resolved.unknown:
        raise rejected("scope", "unknown scope: " + " ".join(resolved.unknown))
    consumer = _charge(rt, req, address)
    if hybrid.wanted(resolved.scopes) and consumer.key == Kind.OAUTH1.value:
        # An ID token names its audience: "anonymous" is every unregistered app at once, so one
        # of them could replay a user's ID token to sign in to another (AUTH1-14 needs a consumer).
        raise rejected("scope", "signing in (openid) needs a registered consumer, not anonymous")
    with rt.ctx.db.unit_of_work() as db:
        glue.first_use(db, rt, req, consumer)
        new = oauth1_requests.create(
            db,
            rt.ctx.hasher,
            glue.envelope(rt),
            client_pk=consumer.pk,
            scopes=resolved.scopes,
            callback=params.callback,
            display_name=params.display_name,
            hd=params.hd,
            device=params.device,
        )
    pairs = [
        ("oauth_token", new.token),
        ("oauth_token_secret", new.secret),
        ("oauth_callback_confirmed", "true"),
    ]
    if new.user_code:
        pairs += [
            ("xoauth_user_code", new.user_code),
            ("xoauth_verification_url", rt.ctx.endpoint(DEVICE_PAGE)),
        ]
    return glue.answer(pairs)


@dataclass(frozen=True, slots=True)
class _Exchange:
    """An authentic exchange, decided: what the token store commits, and the answer once it has."""

    changes: Changes
    pairs: list[tuple[str, str]]


def _access_token(rt: Runtime, req: OAuth1Request) -> Response | _Exchange:
    signed.require(req, "oauth_token", "oauth_verifier")
    envelope = glue.envelope(rt)
    with rt.ctx.db.unit_of_work() as db:
        consumer = glue.known_consumer(db, rt, req)
        pending = oauth1_requests.find(db, rt.ctx.hasher, envelope, signed.oauth(req, "oauth_token"))
        if pending is None or pending.consumer_key != consumer.key:
            raise Problem("token_rejected", "unknown request token")
        glue.signer(db, rt, req, token_secret=pending.secret, consumer=consumer)
        glue.first_use(db, rt, req, consumer)
        # From here on the request is authentic: what follows is committed even when refused.
        problem = _exchange_problem(rt, db, pending, signed.oauth(req, "oauth_verifier"))
        if problem is not None:
            return glue.refuse(rt, problem)
        decided = oauth1_exchange.exchange(
            db, rt.ctx.hasher, envelope, pending, lifetime=rt.ctx.settings.legacy_token_ttl
        )
        if decided is None:
            return glue.refuse(rt, _USED)
        issued, changes = decided
        pairs = [("oauth_token", issued.token), ("oauth_token_secret", issued.secret or "")]
        if hybrid.wanted(pending.scopes) and pending.user_id is not None:
            user = oauth1_exchange.user_record(db, pending.user_id)
            if user is not None:
                pairs.append(("xoauth_id_token", _id_token(rt, consumer, user, pending.scopes)))
    return _Exchange(changes, pairs)


_USED = Problem("token_used", "this request token was exchanged already")


async def _exchanged(rt: Runtime, req: OAuth1Request) -> Response:
    """The exchange decided in a thread (ORM reads, the slow signature checks), then committed
    through the token store with every other grant's tokens."""
    decided = await run_in_threadpool(_access_token, rt, req)
    if isinstance(decided, Response):
        return decided
    if await rt.token_store.commit(decided.changes) is not Outcome.COMMITTED:
        return glue.refuse(rt, _USED)
    return glue.answer(decided.pairs)


def _exchange_problem(
    rt: Runtime, db: Session, pending: oauth1_requests.Pending, verifier: str
) -> Problem | None:
    why = oauth1_exchange.refusal(pending)
    if why is not None:
        return Problem(*why)
    if not oauth1_requests.verifier_matches(rt.ctx.hasher, pending, verifier):
        oauth1_requests.burn(db, pending.key)
        return Problem(
            "parameter_rejected",
            "wrong oauth_verifier: the request token is used up, start again",
            rejected=("oauth_verifier",),
        )
    return None


def _id_token(rt: Runtime, consumer: Consumer, user: UserRecord, scopes: tuple[str, ...]) -> str:
    return hybrid.id_token(
        rt.ctx.keys,
        issuer=rt.ctx.issuer,
        consumer_key=consumer.key,
        alg="RS256",
        user=user,
        scope=" ".join(scopes),
        ttl=rt.ctx.settings.id_token_ttl,
        at=now(),
    )


async def _endpoint(request: Request, work: str) -> Response:
    rt = runtime(request)
    try:
        req = await glue.read(rt, request)
        if work == "request":
            return await run_in_threadpool(_request_token, rt, req, client_address(request.scope))
        return await _exchanged(rt, req)
    except Problem as problem:
        return glue.refuse(rt, problem)


@router.api_route(REQUEST_TOKEN, methods=["GET", "POST"])
async def get_request_token(request: Request) -> Response:
    return await _endpoint(request, "request")


@router.api_route(ACCESS_TOKEN, methods=["GET", "POST"])
async def get_access_token(request: Request) -> Response:
    return await _endpoint(request, "access")
