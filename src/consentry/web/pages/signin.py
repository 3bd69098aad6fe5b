"""Sign-in, sign-out, the account chooser, and the signed-in landing page."""

from __future__ import annotations

from urllib.parse import urlencode

from fastapi import APIRouter, Request
from starlette.concurrency import run_in_threadpool
from starlette.responses import RedirectResponse, Response

from consentry.domain.accounts.amr import PASSWORD, encode
from consentry.domain.accounts.captcha import Challenge
from consentry.domain.accounts.devices import COOKIE as DEVICE_COOKIE
from consentry.domain.accounts.signin import Attempt, Reason, SignInDecision
from consentry.web.authorize_outcome import accounts_for_hd
from consentry.web.client_address import client_address
from consentry.web.flow_store import pin
from consentry.web.pages.forms import safe_next
from consentry.web.render import error_page, render
from consentry.web.runtime import Runtime, runtime
from consentry.web.session import BrowserState
from consentry.web.signin_complete import signed_in

router = APIRouter(include_in_schema=False)


@router.get("/signin")
async def signin_page(request: Request, flow: str = "", email: str = "", next: str = "") -> Response:
    rt = runtime(request)
    state = rt.sessions.state(request)
    app = await run_in_threadpool(rt.flow.flows.app_name, state, flow) if flow else None
    resp = render(
        "signin.html",
        csrf=rt.sessions.csrf_token(state),
        flow=flow,
        email=email,
        next=safe_next(next, ""),
        error=None,
        app_name=app,
    )
    if state.fresh:
        rt.sessions.set_cookie(resp, state)
    return resp


@router.post("/signin")
async def signin_submit(request: Request) -> Response:
    rt = runtime(request)
    state = rt.sessions.state(request)
    form = await request.form()
    email, password = str(form.get("email", "")), str(form.get("password", ""))
    flow, next_ = str(form.get("flow", "")), safe_next(str(form.get("next", "")), "")
    if not rt.sessions.check_csrf(state, str(form.get("csrf", ""))):
        return error_page("Session check failed", "Your session expired. Go back and try again.", 403, "csrf")
    device = request.cookies.get(DEVICE_COOKIE, "")
    attempt = Attempt(
        email=email,
        password=password,
        address=client_address(request.scope),
        device=device if 20 <= len(device) <= 100 else None,
        captcha_id=str(form.get("captcha_id", "")),
        captcha_answer=str(form.get("captcha", "")),
    )
    decision = await run_in_threadpool(rt.signin.attempt, attempt)
    if not decision.ok:
        return await _refused(rt, state, decision, email=email, flow=flow, next_=next_)
    user = decision.user
    assert user is not None
    return await signed_in(
        rt, request, state, user, amr=encode(PASSWORD), flow=flow, next_=next_, device_secret=decision.device
    )


async def _refused(
    rt: Runtime, state: BrowserState, decision: SignInDecision, *, email: str, flow: str, next_: str
) -> Response:
    """The sign-in page again, saying why and what to do; with a fresh CAPTCHA when one is needed."""

    def challenge() -> Challenge:
        with rt.ctx.db.unit_of_work() as db:
            return rt.captchas.issue(db)

    captcha = await run_in_threadpool(challenge) if decision.captcha else None
    throttled = decision.reason is Reason.ADDRESS_THROTTLED
    resp = render(
        "signin.html",
        status_code=429 if throttled else 401,
        csrf=rt.sessions.csrf_token(state),
        flow=flow,
        email=email,
        next=next_,
        error=decision.explanation,
        next_step=decision.next_step,
        reason=decision.reason.value,
        captcha=captcha,
    )
    if throttled:
        resp.headers["Retry-After"] = str(decision.retry_after)
    return resp


@router.get("/accounts/choose")
async def choose_page(request: Request, flow: str = "") -> Response:
    rt = runtime(request)
    state = rt.sessions.state(request)

    def work() -> Response:
        with rt.ctx.db.unit_of_work() as db:
            row = rt.flow.resume(db, state, flow)
            if row is None:
                return error_page("Request expired", "Start again from the app.", 400, "expired")
            hd = dict(tuple(p) for p in row.params["pairs"]).get("hd")
            accounts = accounts_for_hd(rt.sessions.accounts(db, state), hd)
            return render(
                "choose.html", accounts=accounts, flow=flow, csrf=rt.sessions.csrf_token(state), app_name=app
            )

    app = await run_in_threadpool(rt.flow.flows.app_name, state, flow)
    return await run_in_threadpool(work)


@router.post("/accounts/choose")
async def choose_submit(request: Request) -> Response:
    rt = runtime(request)
    state = rt.sessions.state(request)
    form = await request.form()
    if not rt.sessions.check_csrf(state, str(form.get("csrf", ""))):
        return error_page("Session check failed", "Go back and try again.", 403, "csrf")
    flow = str(form.get("flow", ""))
    try:
        user_id = int(str(form.get("user_id", "")))
    except ValueError:
        return error_page("Choose an account", "No account was chosen.", 400, "invalid_request")

    def work() -> bool:
        with rt.ctx.db.unit_of_work() as db:
            row = rt.flow.resume(db, state, flow)
            if row is None or user_id not in {a.id for a in rt.sessions.accounts(db, state)}:
                return False
            pin(row, user_id)
            return True

    if not await run_in_threadpool(work):
        return error_page("Request expired", "Start again from the app.", 400, "expired")
    return RedirectResponse("/authorize/continue?" + urlencode({"flow": flow}), status_code=303)


@router.post("/signout")
async def signout(request: Request) -> Response:
    rt = runtime(request)
    state = rt.sessions.state(request)
    form = await request.form()
    if not rt.sessions.check_csrf(state, str(form.get("csrf", ""))):
        return error_page("Session check failed", "Go back and try again.", 403, "csrf")

    def work() -> None:
        with rt.ctx.db.unit_of_work() as db:
            rt.sessions.sign_out(db, state)

    await run_in_threadpool(work)
    resp = RedirectResponse("/", status_code=303)
    resp.delete_cookie("consentry_sid", path="/")
    return resp


@router.get("/signout")
async def signout_page(request: Request) -> Response:
    rt = runtime(request)
    state = rt.sessions.state(request)
    return render("signout.html", csrf=rt.sessions.csrf_token(state))
