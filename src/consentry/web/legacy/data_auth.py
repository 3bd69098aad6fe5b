"""The data APIs accept four credential kinds with the same scope checks and access log.

``Bearer`` (OAuth 2.0) goes to the guard as before; ``OAuth`` (a signed OAuth 1.0a request),
``AuthSub`` and ``GoogleLogin`` (ClientLogin; ``ClientLogin`` is our own name for the same scheme,
AUTH4-5) each go to their protocol's verifier, which returns the same ``Caller``. A legacy token
is found only through its own scheme (domain/legacy/tokens.py), and only while its protocol is on.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from starlette.requests import Request

from consentry.domain.keys.envelope import Envelope
from consentry.domain.legacy import tokens
from consentry.domain.legacy.switches import enabled
from consentry.domain.tokens.store import Lookup
from consentry.guard import Caller, Guard, InvalidToken
from consentry.web.runtime import Runtime, runtime

Verifier = Callable[[Request, str], Awaitable[Caller]]


def caller_of(access: tokens.LegacyAccess) -> Caller:
    return Caller(
        subject=access.user_sub,
        client_id=access.client_id,
        scopes=frozenset(access.scopes),
        expires_at=access.expires_at,
        token_kind=access.protocol,
        claims={"scope": " ".join(access.scopes), "exp": access.expires_at},
        extra={"user_id": access.user_id, "client_pk": access.client_pk, "project_id": access.project_id},
    )


async def legacy_access(rt: Runtime, protocol: str, token: str) -> tokens.LegacyAccess | None:
    """The live legacy token of ``protocol``, read through the token store like every other token."""
    key = tokens.lookup_key(rt.ctx.hasher, protocol, token)
    if key is None:
        return None
    found = await rt.token_store.lookup(Lookup(legacy_key=key))
    return tokens.live(found.legacy, Envelope(rt.ctx.settings.secret_key), protocol)


async def bearer_like(request: Request, protocol: str, token: str) -> Caller:
    """An unsigned legacy token (ClientLogin Auth, non-secure AuthSub): look it up, no more."""
    access = await legacy_access(runtime(request), protocol, token)
    if access is None:
        raise InvalidToken("the token is invalid, expired or revoked")
    if access.secure:
        raise InvalidToken("a secure AuthSub token must be sent with its signature")
    return caller_of(access)


async def _clientlogin(request: Request, credentials: str) -> Caller:
    name, _, value = credentials.strip().partition("=")
    if name.strip().lower() != "auth" or not value.strip():
        raise InvalidToken('send "Authorization: GoogleLogin auth=<Auth>"')
    return await bearer_like(request, "clientlogin", value.strip().strip('"'))


async def _gadget_proxy(request: Request, credentials: str) -> Caller:
    """The widget proxy's own calls (web/legacy/gadget.py): the token never leaves the server."""
    name, _, value = credentials.strip().partition("=")
    if name.strip().lower() != "token" or not value.strip():
        raise InvalidToken("malformed GadgetProxy credentials")
    return await bearer_like(request, "gadget", value.strip())


def _verifiers() -> dict[str, tuple[str, Verifier]]:
    # Imported here: each protocol's module imports this one for caller_of.
    from consentry.web.legacy import authsub_resource, oauth1_resource

    return {
        "googlelogin": ("clientlogin", _clientlogin),
        "clientlogin": ("clientlogin", _clientlogin),
        "authsub": ("authsub", authsub_resource.caller),
        "oauth": ("oauth1", oauth1_resource.caller),
        "gadgetproxy": ("gadget", _gadget_proxy),
    }


async def authenticate(request: Request, guard: Guard) -> Caller:
    scheme, _, credentials = request.headers.get("authorization", "").strip().partition(" ")
    found = _verifiers().get(scheme.lower())
    if found is None:
        return await guard.authenticate(request)
    protocol, verify = found
    if not enabled(runtime(request).ctx.settings, protocol):
        raise InvalidToken(f"{scheme} credentials are not accepted on this server; use OAuth 2.0")
    return await verify(request, credentials)
