"""Who presents an AuthSub token: the header read, the token found, a secure one's signature
checked against the very request it came with (AUTH3-5, AUTH3-7).

Shared by the token endpoints (AuthSubSessionToken, RevokeToken, TokenInfo) and the data APIs
(authsub_resource.py), so each accepts exactly the same header forms and signatures. A non-secure
token sent with signature fields is accepted as it is (the fields are ignored); a secure one
without them is refused.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlsplit

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import PlainTextResponse

from consentry.domain.legacy import authsub, replay, tokens
from consentry.protocol.authsub import header as authsub_header
from consentry.protocol.authsub import signature
from consentry.protocol.authsub.wire import TEXT
from consentry.web.legacy.data_auth import legacy_access
from consentry.web.runtime import Runtime, runtime

INVALID = "Token invalid - "
SIGNATURE = "Signature invalid - "
_STATE_TEXT = {
    authsub.State.UNKNOWN: (401, INVALID + "Invalid AuthSub token."),
    authsub.State.USED: (401, INVALID + "this single-use token was already used (or revoked)."),
    authsub.State.EXPIRED: (401, INVALID + "this single-use token expired; ask the user again."),
    authsub.State.REVOKED: (403, "Token revoked - this AuthSub token was revoked."),
}


@dataclass(frozen=True, slots=True)
class Failure:
    status: int
    message: str
    #: The token was read and looked up, but is not live (so RevokeToken answers 403).
    not_live: bool = False

    def response(self, realm: str) -> PlainTextResponse:
        headers = {"WWW-Authenticate": f'AuthSub realm="{realm}"'} if self.status == 401 else None
        return PlainTextResponse(self.message, status_code=self.status, media_type=TEXT, headers=headers)


@dataclass(frozen=True, slots=True)
class Found:
    """Exactly one of the two: a session token, or a single-use token (not yet used up)."""

    access: tokens.LegacyAccess | None
    single: authsub.SingleUse | None


def read_credentials(request: Request) -> authsub_header.Credentials | Failure:
    value = request.headers.get("authorization", "")
    if not value.strip():
        return Failure(401, INVALID + 'send the token as Authorization: AuthSub token="<token>".')
    try:
        return authsub_header.from_header(value)
    except authsub_header.HeaderError as exc:
        return Failure(401, f"{INVALID}{exc}.")


def request_urls(rt: Runtime, request: Request) -> list[str]:
    """The URL the client may have signed: as it reached us, and under the public issuer (a proxy
    in front of the server changes scheme and host, not what the client signed)."""
    query = request.url.query
    tail = request.url.path + (f"?{query}" if query else "")
    issuer = urlsplit(rt.ctx.issuer)
    return [str(request.url), f"{issuer.scheme}://{issuer.netloc}{tail}"]


def check_signed(
    creds: authsub_header.Credentials, certificate: str | None, method: str, urls: list[str]
) -> signature.SignedData | Failure:
    """Everything about a secure token's signature that needs no database."""
    if not creds.signed or creds.data is None or creds.sig is None:
        return Failure(401, INVALID + "a secure token must be sent with sigalg, data and sig.")
    if not certificate:
        return Failure(401, SIGNATURE + "the app has no registered certificate for secure tokens.")
    try:
        data = signature.parse_data(creds.data)
        signature.verify(creds.data, creds.sig, creds.sigalg or "", certificate)
    except signature.SignatureError as exc:
        return Failure(401, f"{SIGNATURE}{exc}.")
    if data.method.upper() != method.upper():
        return Failure(401, f"{SIGNATURE}data names {data.method} but the request is {method}.")
    if not any(signature.same_url(data.url, u) for u in urls):
        return Failure(401, SIGNATURE + "the URL in data is not the URL of this request.")
    if not replay.fresh_timestamp(data.timestamp):
        return Failure(
            401, SIGNATURE + "the timestamp in data is more than 5 minutes from the server's clock."
        )
    return data


async def present(request: Request) -> Found | Failure:
    """The live token the request carries, its signature checked when it is a secure one."""
    rt = runtime(request)
    creds = read_credentials(request)
    if isinstance(creds, Failure):
        return creds
    method, urls = request.method, request_urls(rt, request)
    access = await legacy_access(rt, authsub.PROTOCOL, creds.token)

    def work() -> Found | Failure:
        with rt.ctx.db.unit_of_work() as db:
            single = None if access is not None else authsub.peek(db, rt.ctx.hasher, creds.token)
            live = access or single
            if live is None:
                status, message = _STATE_TEXT[authsub.state_of(db, rt.ctx.hasher, creds.token)]
                return Failure(status, message, not_live=True)
            if not live.secure:
                return Found(access, single)
            signed = check_signed(creds, live.certificate, method, urls)
            if isinstance(signed, Failure):
                return signed
            who = tokens.token_key(rt.ctx.hasher, authsub.PROTOCOL, creds.token)
            if not replay.first_use(db, rt.ctx.hasher, f"authsub:{who}", signed.timestamp, signed.nonce):
                return Failure(
                    401, SIGNATURE + "this signed request was already seen; sign each request anew."
                )
            return Found(access, single)

    return await run_in_threadpool(work)
