"""``/.well-known/ssf-configuration``: what Consentry transmits and how to verify it (DATA-4)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from starlette.responses import JSONResponse

from consentry.domain.events.metadata import ssf_configuration
from consentry.web.runtime import runtime

router = APIRouter(tags=["security events"])
CACHE = {"Cache-Control": "public, max-age=300"}


@router.get(
    "/.well-known/ssf-configuration",
    summary="Shared Signals transmitter configuration: issuer, JWKS, delivery methods, event types",
)
def ssf(request: Request) -> JSONResponse:
    return JSONResponse(ssf_configuration(runtime(request).ctx.issuer), headers=CACHE)


@router.get("/.well-known/risc-configuration", include_in_schema=False)
def risc(request: Request) -> JSONResponse:
    """The same document where RISC receivers look for it."""
    return JSONResponse(ssf_configuration(runtime(request).ctx.issuer), headers=CACHE)
