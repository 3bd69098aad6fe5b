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

from consentry.web import consent_view
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
    elif out.kind in ("consent", "screen") and out.page is not None and out.context:
        action = "/authorize/consent" if out.kind == "consent" else "/authorize/screen"
        resp = render(
            out.page.template,
            **consent_view.context(
                out.context["disclosure"],
                csrf=rt.sessions.csrf_token(state),
                flow=out.flow,
                switch_url="/accounts/choose?" + urlencode({"flow": out.flow}),
            ),
            form_action=action,
            redirect_host=out.context.get("redirect_host"),
        )
    else:
        ctx = out.context or {}
        resp = error_page(
            ctx.get("title", "This request can't be completed"),
            ctx.get("message", ""),
            ctx.get("status", 400),
            ctx.get("error"),
            ctx.get("reason"),
            ctx.get("ask_url"),
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
    paused = await run_in_threadpool(rt.flow.flows.read, state, flow)
    if paused is None:
        out = page_error(
            "expired",
            400,
            "This sign-in request expired or belongs to another browser. Start again from the app.",
        )
        return outcome_response(rt, state, out, request)
    address = client_address(request.scope)
    out = await rt.flow.run(
        state, paused.params, chosen_id=paused.user_id, flow=flow, address=address, passed=paused.passed
    )
    return outcome_response(rt, state, out, request)


@router.post("/authorize/screen", include_in_schema=False)
async def authorize_screen(request: Request) -> Response:
    """A screen the gate put before consent (testing warning, unverified app): back or go on."""
    rt = runtime(request)
    state = rt.sessions.state(request)
    form = await request.form()
    if not rt.sessions.check_csrf(state, str(form.get("csrf", ""))):
        return error_page("Session check failed", "Reload the app and try again.", 403, "csrf")
    out = await rt.flow.pass_screen(
        state,
        str(form.get("flow", "")),
        str(form.get("screen", "")),
        form.get("action") == "continue",
        address=client_address(request.scope),
    )
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
    digest = str(form.get("disclosure", ""))
    out = await rt.flow.decide_consent(state, flow, allow, checked, digest)
    return outcome_response(rt, state, out, request)
