"""OAuth 2.0 / OpenID Connect endpoints: /authorize, /token, /revoke, /introspect, /device/code, ..."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from starlette.concurrency import run_in_threadpool
from starlette.responses import JSONResponse, RedirectResponse, Response

from consentry.protocol.oauth2.rate_limited import TooManyRequestsError
from consentry.protocol.oauth2.request_checks import request_error
from consentry.protocol.starlette import StarletteOAuth2Request, read_oauth_request
from consentry.storage.db import current_session
from consentry.web.authorize_flow import Outcome
from consentry.web.client_address import client_address
from consentry.web.render import error_page, render
from consentry.web.runtime import Runtime, runtime
from consentry.web.session import BrowserState

router = APIRouter(tags=["oauth2"])
NO_STORE = {"Cache-Control": "no-store", "Pragma": "no-cache"}
ProtocolAnswer = tuple[int, Any, list[tuple[str, str]]]


def to_response(status: int, body: Any, headers: list[tuple[str, str]]) -> Response:
    hdrs = dict(headers)
    hdrs.setdefault("Cache-Control", "no-store")
    if isinstance(body, dict | list):
        hdrs.pop("Content-Type", None)
        return JSONResponse(body, status_code=status, headers=hdrs)
    return Response(body or "", status_code=status, headers=hdrs)


def outcome_response(rt: Runtime, state: BrowserState, out: Outcome, request: Request) -> Response:
    resp: Response
    if out.kind == "redirect":
        # After a form POST, 303: a 307 or 308 would make the browser re-post the form, with the
        # user's credentials and CSRF token, to the app (RFC 9700 4.12).
        resp = RedirectResponse(out.location, status_code=303 if request.method == "POST" else 302)
    elif out.kind == "signin":
        query = {
            "flow": out.flow,
            **({"email": out.context["email"]} if out.context and out.context["email"] else {}),
        }
        resp = RedirectResponse("/signin?" + urlencode(query), status_code=302)
    elif out.kind == "choose":
        resp = RedirectResponse("/accounts/choose?" + urlencode({"flow": out.flow}), status_code=302)
    elif out.kind == "consent":
        resp = render(
            "consent.html", flow=out.flow, csrf=rt.sessions.csrf_token(state), **(out.context or {})
        )
    else:
        ctx = out.context or {}
        resp = error_page(
            "This request can't be completed",
            ctx.get("message", ""),
            ctx.get("status", 400),
            ctx.get("error"),
        )
        if "retry_after" in ctx:
            resp.headers["Retry-After"] = str(ctx["retry_after"])
    if state.fresh:
        rt.sessions.set_cookie(resp, state)
    return resp


@router.get("/authorize", summary="Authorization endpoint (code flow, PKCE S256)")
async def authorize(request: Request) -> Response:
    rt = runtime(request)
    state = rt.sessions.state(request)
    params = list(request.query_params.multi_items())
    address = client_address(request.scope)

    def work() -> Outcome:
        with rt.ctx.db.unit_of_work() as db:
            return rt.flow.run(db, state, params, address=address)

    return outcome_response(rt, state, await run_in_threadpool(work), request)


@router.get("/authorize/continue", include_in_schema=False)
async def authorize_continue(request: Request, flow: str = "") -> Response:
    rt = runtime(request)
    state = rt.sessions.state(request)
    address = client_address(request.scope)

    def work() -> Outcome:
        with rt.ctx.db.unit_of_work() as db:
            row = rt.flow.resume(db, state, flow)
            if row is None:
                return Outcome(
                    "error_page",
                    context={
                        "error": "expired",
                        "status": 400,
                        "message": "This sign-in request expired or belongs to another browser. "
                        "Start again from the app.",
                    },
                )
            params = [tuple(p) for p in row.params["pairs"]]
            return rt.flow.run(db, state, params, chosen_id=row.user_id, flow=flow, address=address)

    return outcome_response(rt, state, await run_in_threadpool(work), request)


@router.post("/authorize/consent", include_in_schema=False)
async def authorize_consent(request: Request) -> Response:
    rt = runtime(request)
    state = rt.sessions.state(request)
    form = await request.form()
    if not rt.sessions.check_csrf(state, str(form.get("csrf", ""))):
        return error_page("Session check failed", "Reload the app and try again.", 403, "csrf")
    flow = str(form.get("flow", ""))
    allow = form.get("action") == "allow"
    checked = [str(v) for v in form.getlist("scope")]

    def work() -> Outcome:
        with rt.ctx.db.unit_of_work() as db:
            return rt.flow.decide(db, state, flow, allow, checked)

    return outcome_response(rt, state, await run_in_threadpool(work), request)


async def _protocol_call(request: Request, call: Any) -> Response:
    rt = runtime(request)
    oreq = await read_oauth_request(request, rt.ctx.issuer)
    if refused := request_error(oreq):
        return JSONResponse(
            {"error": "invalid_request", "error_description": refused},
            status_code=400,
            headers=NO_STORE,
        )

    def work() -> tuple[int, Any, list[tuple[str, str]]]:
        try:
            with rt.ctx.db.unit_of_work():
                return call(rt, oreq)
        except ValueError:
            # Authlib refuses to build an error whose description would echo non-ASCII input.
            return 400, {"error": "invalid_request", "error_description": "Malformed request."}, []

    status, body, headers = await run_in_threadpool(work)
    request.app.state.metrics.count(request.url.path, status)
    return to_response(status, body, headers)


@router.post("/token", summary="Token endpoint")
async def token(request: Request) -> Response:
    return await _protocol_call(request, lambda rt, r: rt.server.create_token_response(r))


@router.post("/revoke", summary="Token revocation (RFC 7009)")
async def revoke(request: Request) -> Response:
    return await _protocol_call(request, lambda rt, r: rt.server.create_endpoint_response("revocation", r))


@router.post("/introspect", summary="Token introspection (RFC 7662)")
async def introspect(request: Request) -> Response:
    return await _protocol_call(request, lambda rt, r: rt.server.create_endpoint_response("introspection", r))


@router.post("/device/code", summary="Device authorization (RFC 8628)")
async def device_code(request: Request) -> Response:
    address = client_address(request.scope)
    return await _protocol_call(request, lambda rt, r: _device_authorization(rt, r, address))


def _device_authorization(rt: Runtime, oreq: StarletteOAuth2Request, address: str) -> ProtocolAnswer:
    """Each request stores a device code: per address here; per client once it has authenticated
    (in the device endpoint, protocol/oauth2/grants/device_code.py)."""
    if refused := rt.ctx.quotas.device_address(current_session(), address):
        error = TooManyRequestsError("device codes", refused.retry_after)
        return rt.server.handle_error_response(oreq, error)
    return rt.server.create_endpoint_response("device_authorization", oreq)
