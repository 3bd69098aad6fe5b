"""OpenID Connect and metadata endpoints: discovery, JWKS, userinfo, tokeninfo."""

from __future__ import annotations

from typing import Any, cast

from fastapi import APIRouter, Request
from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import KeySet
from starlette.concurrency import run_in_threadpool
from starlette.responses import JSONResponse, Response

from consentry.domain.keys.manager import JWKS_MAX_AGE
from consentry.domain.tokens.service import by_access, is_access_active
from consentry.protocol.oidc.discovery import metadata
from consentry.protocol.oidc.id_token import user_claims
from consentry.storage.tables import Client, User
from consentry.storage.tables.base import now
from consentry.web.runtime import runtime

router = APIRouter(tags=["openid-connect"])
PUBLIC_CACHE = {"Cache-Control": "public, max-age=300"}


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


def _tokeninfo_error() -> Response:
    return JSONResponse({"error": "invalid_token", "error_description": "Invalid Value"}, status_code=400)


@router.get("/tokeninfo", summary="Token information for apps (debugging)", operation_id="tokeninfo")
@router.post("/tokeninfo", summary="Token information (POST)", operation_id="tokeninfo_post")
async def tokeninfo(request: Request) -> Response:
    rt = runtime(request)
    params: dict[str, Any] = dict(request.query_params)
    if request.method == "POST":
        params.update({k: v for k, v in (await request.form()).items() if isinstance(v, str)})
    access_token, id_token = params.get("access_token"), params.get("id_token")

    def work() -> Response:
        if id_token:
            try:
                keys = KeySet.import_key_set(cast(Any, rt.ctx.keys.jwks()))
                claims = jwt.decode(id_token, keys, algorithms=["RS256", "ES256"]).claims
                jwt.JWTClaimsRegistry(
                    iss={"essential": True, "value": rt.ctx.issuer}, exp={"essential": True}
                ).validate(claims)
            except (JoseError, ValueError):
                return _tokeninfo_error()
            return JSONResponse({k: _string_value(v) for k, v in claims.items()})
        if not access_token:
            return _tokeninfo_error()
        with rt.ctx.db.unit_of_work() as db:
            row = by_access(db, rt.ctx.hasher, access_token)
            if row is None or not is_access_active(row):
                return _tokeninfo_error()
            client = db.get(Client, row.client_pk)
            body: dict[str, Any] = {
                "azp": client.client_id if client else "",
                "aud": client.client_id if client else "",
                "scope": row.scope,
                "exp": str(row.expires_at),
                "expires_in": str(max(0, row.expires_at - now())),
                "access_type": "offline" if row.refresh_hash else "online",
            }
            if row.user_id:
                user = db.get(User, row.user_id)
                if user:
                    body["sub"] = user.sub
                    if "email" in row.scope.split():
                        body.update(email=user.email, email_verified="true")
            return JSONResponse(body, headers={"Cache-Control": "no-store"})

    return await run_in_threadpool(work)
