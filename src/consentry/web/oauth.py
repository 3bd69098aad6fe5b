"""The authorization endpoint's pages: sign-in and account-choice redirects, consent, errors.

The protocol endpoints answered without a page (/token, /revoke, /introspect, /device/code,
/userinfo, /tokeninfo, and /authorize when it can redirect at once) are in
``web/protocol_adapter.py``.
"""

from __future__ import annotations

from urllib.parse import urlencode

from fastapi import APIRouter, Request
from starlette.concurrency import run_in_threadpool
from starlette.responses import RedirectResponse, Response

from consentry.web.authorize_outcome import Outcome, page_error
from consentry.web.client_address import client_address
from consentry.web.render import error_page, render
from consentry.web.runtime import Runtime, runtime
from consentry.web.session import BrowserState

router = APIRouter(tags=["oauth2"])


def outcome_response(rt: Runtime, state: BrowserState, out: Outcome, request: Request) -> Response:
    resp: Response
    if out.kind in ("redirect", "code"):
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
    """The cases that need a page or a pause; the protocol adapter answers the others itself."""
    rt = runtime(request)
    state = rt.sessions.state(request)
    params = list(request.query_params.multi_items())
    out = await rt.flow.run(state, params, address=client_address(request.scope))
    return outcome_response(rt, state, out, request)


@router.get("/authorize/continue", include_in_schema=False)
async def authorize_continue(request: Request, flow: str = "") -> Response:
    rt = runtime(request)
    state = rt.sessions.state(request)
    paused = await run_in_threadpool(rt.flow.resume_params, state, flow)
    if paused is None:
        out = page_error(
            "expired",
            400,
            "This sign-in request expired or belongs to another browser. Start again from the app.",
        )
        return outcome_response(rt, state, out, request)
    params, user_id = paused
    address = client_address(request.scope)
    out = await rt.flow.run(state, params, chosen_id=user_id, flow=flow, address=address)
    return outcome_response(rt, state, out, request)


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
    out = await rt.flow.decide_consent(state, flow, allow, checked)
    return outcome_response(rt, state, out, request)
