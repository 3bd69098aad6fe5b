"""OpenID Connect and metadata endpoints: discovery, JWKS, userinfo, tokeninfo."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from starlette.concurrency import run_in_threadpool
from starlette.responses import JSONResponse, Response

from consentry.domain.keys.manager import JWKS_MAX_AGE
from consentry.domain.tokens.service import by_access, is_access_active
from consentry.protocol.oidc.discovery import metadata
from consentry.protocol.oidc.id_token import user_claims
from consentry.protocol.oidc.tokeninfo import id_token_claims
from consentry.storage.tables import Client, User
from consentry.storage.tables.base import now
from consentry.web.log_redaction import redacting_lifespan
from consentry.web.runtime import Runtime, runtime

# Clients of the reference platform put tokens in /tokeninfo URLs: keep them out of the access log.
router = APIRouter(tags=["openid-connect"], lifespan=redacting_lifespan)
PUBLIC_CACHE = {"Cache-Control": "public, max-age=300"}
NO_STORE = {"Cache-Control": "no-store", "Pragma": "no-cache"}
TOKEN_PARAMS = ("access_token", "id_token")
IN_URL = "Send the token in the body of a POST request, not in the URL."


@router.get("/.well-known/openid-configuration", summary="OpenID Connect discovery")
async def openid_configuration(request: Request) -> Response:
    rt = runtime(request)
    return JSONResponse(metadata(rt.ctx.issuer, rt.ctx.catalogue), headers=PUBLIC_CACHE)


@router.get("/.well-known/oauth-authorization-server", summary="RFC 8414 metadata")
async def oauth_metadata(request: Request) -> Response:
    rt = runtime(request)
    return JSONResponse(metadata(rt.ctx.issuer, rt.ctx.catalogue), headers=PUBLIC_CACHE)


@router.get("/jwks", summary="Public signing keys")
async def jwks(request: Request) -> Response:
    rt = runtime(request)
    # Shorter than the metadata's: new keys sign only once cached key sets have expired.
    jwks_cache = {"Cache-Control": f"public, max-age={JWKS_MAX_AGE}"}
    return JSONResponse(await run_in_threadpool(rt.ctx.keys.jwks), headers=jwks_cache)


def _bearer(request: Request) -> str | None:
    auth = request.headers.get("authorization", "")
    scheme, _, value = auth.partition(" ")
    return value.strip() if scheme.lower() == "bearer" and value.strip() else None


def _invalid_token(description: str) -> Response:
    return JSONResponse(
        {"error": "invalid_token", "error_description": description},
        status_code=401,
        headers={"WWW-Authenticate": f'Bearer error="invalid_token", error_description="{description}"'},
    )


@router.get("/userinfo", summary="OpenID Connect userinfo", operation_id="userinfo")
@router.post("/userinfo", summary="OpenID Connect userinfo (POST)", operation_id="userinfo_post")
async def userinfo(request: Request) -> Response:
    rt = runtime(request)
    token = _bearer(request)
    if token is None:
        return JSONResponse(
            {"error": "invalid_request", "error_description": "Missing bearer token"},
            status_code=401,
            headers={"WWW-Authenticate": "Bearer"},
        )

    def work() -> Response:
        with rt.ctx.db.unit_of_work() as db:
            row = by_access(db, rt.ctx.hasher, token)
            if row is None or not is_access_active(row) or row.user_id is None:
                return _invalid_token("The access token is invalid or expired")
            if "openid" not in row.scope.split():
                return JSONResponse(
                    {"error": "insufficient_scope"},
                    status_code=403,
                    headers={"WWW-Authenticate": 'Bearer error="insufficient_scope", scope="openid"'},
                )
            user = db.get(User, row.user_id)
            if user is None or user.disabled:
                return _invalid_token("The account is disabled")
            return JSONResponse(dict(user_claims(user, row.scope)), headers={"Cache-Control": "no-store"})

    return await run_in_threadpool(work)


def _string_value(value: Any) -> Any:
    """Token info answers strings, as the reference platform does; booleans lower-case."""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value) if isinstance(value, int) else value


def _tokeninfo_error(error: str = "invalid_token", description: str = "Invalid Value") -> Response:
    """The reference platform's error: HTTP 400 with a JSON body, never cached."""
    return JSONResponse({"error": error, "error_description": description}, status_code=400, headers=NO_STORE)


async def _tokeninfo_token(request: Request) -> tuple[str, str] | Response:
    """The one token asked about, as (kind, token), from a POST body.

    The reference platform also takes ``?access_token=`` in the URL, where proxies, browsers and
    access logs keep it (RFC 6819 section 4.6.7): such a request is refused with a hint, unless
    the operator turned on ``CONSENTRY_TOKENINFO_QUERY_TOKENS`` for apps ported from there; the
    access log shows such tokens redacted either way (web/log_redaction.py).
    """
    in_url = [(k, v) for k, v in request.query_params.multi_items() if k in TOKEN_PARAMS]
    if in_url and not runtime(request).ctx.settings.tokeninfo_query_tokens:
        return _tokeninfo_error("invalid_request", IN_URL)
    given = in_url
    if request.method == "POST":
        form = await request.form()
        given = given + [(k, v) for k, v in form.multi_items() if k in TOKEN_PARAMS and isinstance(v, str)]
    elif not in_url:
        return _tokeninfo_error("invalid_request", IN_URL)
    if len(given) != 1:
        return _tokeninfo_error("invalid_request", "Send exactly one access_token or id_token.")
    return given[0]


def _access_token_info(rt: Runtime, token: str) -> Response:
    """An access token (opaque or JWT) is what the store says it is: revoked or expired is invalid."""
    with rt.ctx.db.unit_of_work() as db:
        row = by_access(db, rt.ctx.hasher, token)
        if row is None or not is_access_active(row):
            return _tokeninfo_error()
        client = db.get(Client, row.client_pk)
        if client is None or client.disabled:
            return _tokeninfo_error()
        body: dict[str, Any] = {
            "azp": client.client_id,
            "aud": client.client_id,
            "scope": row.scope,
            "exp": str(row.expires_at),
            "expires_in": str(max(0, row.expires_at - now())),
            "access_type": "offline" if row.refresh_hash else "online",
        }
        if row.user_id:
            user = db.get(User, row.user_id)
            if user is None or user.disabled:
                return _tokeninfo_error()  # as /userinfo: a disabled account's tokens are dead
            body["sub"] = user.sub
            if "email" in row.scope.split():
                body.update(email=user.email, email_verified="true")
        return JSONResponse(body, headers=NO_STORE)


@router.get("/tokeninfo", summary="Token information: refused, send a POST body", operation_id="tokeninfo")
@router.post("/tokeninfo", summary="Token information for apps (debugging)", operation_id="tokeninfo_post")
async def tokeninfo(request: Request) -> Response:
    rt = runtime(request)
    given = await _tokeninfo_token(request)
    if isinstance(given, Response):
        return given
    kind, token = given

    def work() -> Response:
        if kind == "access_token":
            return _access_token_info(rt, token)
        claims = id_token_claims(token, rt.ctx.keys.jwks(), rt.ctx.issuer)
        if claims is None:
            return _tokeninfo_error()
        return JSONResponse({k: _string_value(v) for k, v in claims.items()}, headers=NO_STORE)

    return await run_in_threadpool(work)
