"""Our Starlette glue for OAuth 1.0a: read a request as Authlib sees it, judge its signer, answer.

Every signed request (the three token endpoints and the data APIs) goes through here: the
consumer is loaded first (domain/legacy/consumers.py), then the timestamp and the signature are
judged (protocol/oauth1/signed.py), and only a correctly signed request records its nonce
(domain/legacy/replay.py), so nobody unsigned can fill the nonce table.
"""

from __future__ import annotations

from authlib.oauth1.rfc5849.wrapper import OAuth1Request
from sqlalchemy.orm import Session
from starlette.requests import Request
from starlette.responses import Response

from consentry.domain.keys.envelope import Envelope
from consentry.domain.legacy import consumers, replay
from consentry.domain.legacy.consumers import Consumer
from consentry.protocol.oauth1 import signed
from consentry.protocol.oauth1.problems import FORM, Problem, encode
from consentry.storage.tables.base import now
from consentry.web.runtime import Runtime

MAX_BODY = 64 * 1024


def envelope(rt: Runtime) -> Envelope:
    return Envelope(rt.ctx.settings.secret_key)


async def read(rt: Runtime, request: Request) -> OAuth1Request:
    """The request over the public address (issuer + path as sent + query), with its form body."""
    body = ""
    media = request.headers.get("content-type", "").split(";")[0].strip().lower()
    # RFC 5849 3.4.1.3.1: a form-encoded body is signed whatever the method. Other bodies (JSON at
    # the data APIs) are not covered by the signature; oauth_body_hash is not supported.
    if request.method in ("POST", "PUT", "PATCH") and media == FORM:
        raw = await request.body()
        if len(raw) > MAX_BODY:
            raise Problem("parameter_rejected", "the body is too large")
        try:
            body = raw.decode("utf-8")
        except UnicodeDecodeError:
            raise Problem("parameter_rejected", "the body is not UTF-8") from None
    raw_path = request.scope.get("raw_path")
    path = raw_path.decode("latin-1") if isinstance(raw_path, bytes) else request.url.path
    query = request.scope.get("query_string", b"").decode("latin-1")
    uri = rt.ctx.issuer.rstrip("/") + path + ("?" + query if query else "")
    return signed.parse(request.method, uri, request.headers.get("authorization"), body)


def signer(
    db: Session, rt: Runtime, req: OAuth1Request, *, token_secret: str = "", consumer: Consumer | None = None
) -> Consumer:
    """The consumer that signed ``req`` (with ``token_secret`` if a token is involved), or a Problem."""
    if consumer is None:
        consumer = known_consumer(db, rt, req)
    signed.check_timestamp(req, now())
    signed.check_signature(
        req, consumer_secret=consumer.secret, public_key=consumer.public_key, token_secret=token_secret
    )
    return consumer


def known_consumer(db: Session, rt: Runtime, req: OAuth1Request) -> Consumer:
    key = signed.oauth(req, "oauth_consumer_key")
    consumer = consumers.load(db, envelope(rt), rt.ctx.catalogue, key)
    if consumer is None:
        raise Problem("consumer_key_unknown", "no OAuth 1.0a app is registered with this consumer key")
    if consumer.refused:
        raise Problem("consumer_key_rejected", "this app is disabled or suspended")
    return consumer


def first_use(db: Session, rt: Runtime, req: OAuth1Request, consumer: Consumer) -> None:
    """Replay guard: a (consumer, token, timestamp, nonce) seen before is refused."""
    scope = f"oauth1:{consumer.key}:{signed.oauth(req, 'oauth_token')}"
    ts, nonce = signed.oauth(req, "oauth_timestamp"), signed.oauth(req, "oauth_nonce")
    if not replay.first_use(db, rt.ctx.hasher, scope, ts, nonce):
        raise Problem("nonce_used", "this nonce was used already: send a new one with every request")


def answer(pairs: list[tuple[str, str]]) -> Response:
    return Response(
        encode(pairs),
        200,
        headers={"Content-Type": FORM, "Cache-Control": "no-store", "Pragma": "no-cache"},
    )


def refuse(rt: Runtime, problem: Problem) -> Response:
    return Response(problem.body(), problem.status, headers=dict(problem.headers(rt.ctx.issuer)))
