"""Sign-in, sign-out, the account chooser, and the signed-in landing page.

After the right password, domain/accounts/second_step.py decides: a second step due (an
authenticator app or passkey, or an organization that requires one) sends the browser to
/signin/verify (web/pages/signin_verify.py) with a step bound to it; otherwise it is signed in.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from starlette.concurrency import run_in_threadpool
from starlette.responses import RedirectResponse, Response

from consentry.domain.accounts.amr import PASSWORD, encode
from consentry.domain.accounts.captcha import Challenge
from consentry.domain.accounts.devices import COOKIE as DEVICE_COOKIE
from consentry.domain.accounts.second_step import WORDS
from consentry.domain.accounts.second_step import Reason as SecondReason
from consentry.domain.accounts.signin import Attempt, Reason, SignInDecision
from consentry.web.authorize_outcome import accounts_for_hd
from consentry.web.client_address import client_address
from consentry.web.flow_store import pin
from consentry.web.pages.forms import safe_next
from consentry.web.pages.signin_verify import second_step
from consentry.web.render import error_page, render
from consentry.web.runtime import Runtime, runtime
from consentry.web.session import BrowserState
from consentry.web.signin_complete import set_device_cookie, signed_in

router = APIRouter(include_in_schema=False)


#: What the page says when another page sent the person here (a key in the query, never free text).
NOTICES = {
    "password-changed": "Password changed. Sign in with your new password.",
    "joined-2sv": "Account created. Sign in to set up two-step verification: your organization requires it.",
}
#: Why the person is back on the sign-in page (a reason code in the query, never free text).
RETURNED = {
    r.value: WORDS[r]
    for r in (SecondReason.STEP_EXPIRED, SecondReason.TOO_MANY_ATTEMPTS, SecondReason.ACCOUNT_THROTTLED)
}


@router.get("/signin")
async def signin_page(
    request: Request,
    flow: str = "",
    email: str = "",
    next: str = "",
    again: str = "",
    reason: str = "",
    notice: str = "",
) -> Response:
    rt = runtime(request)
    state = rt.sessions.state(request)
    app = await run_in_threadpool(rt.flow.flows.app_name, state, flow) if flow else None
    explanation, next_step = RETURNED.get(reason, (None, None))
    resp = render(
        "signin.html",
        **_page(
            rt, state, flow=flow, email=email, next_=safe_next(next, ""), again=again == "1" and bool(email)
        ),
        error=explanation,
        next_step=next_step,
        reason=reason if explanation else None,
        notice=NOTICES.get(notice),
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
    again = str(form.get("again", "")) == "1"
    decision = await run_in_threadpool(rt.signin.attempt, attempt)
    if not decision.ok:
        return await _refused(rt, state, decision, email=email, flow=flow, next_=next_, again=again)
    user = decision.user
    assert user is not None

    def begin() -> str | None:
        with rt.ctx.db.unit_of_work() as db:
            return second_step(rt).begin(db, rt.sessions.sid_hash(state), user, flow=flow, next_=next_)

    step = await run_in_threadpool(begin)
    if step is None:
        return await signed_in(
            rt,
            request,
            state,
            user,
            amr=encode(PASSWORD),
            flow=flow,
            next_=next_,
            device_secret=decision.device,
        )
    # The password was right: the browser gets its device cookie now (the trust is already stored by
    # the attempt, and it only spares the owner's browser the CAPTCHA at the *password*; it never
    # skips the second step), and the second step's page.
    resp = RedirectResponse("/signin/verify?" + urlencode({"step": step}), status_code=303)
    if decision.device:
        set_device_cookie(rt, resp, decision.device)
    if state.fresh:
        rt.sessions.set_cookie(resp, state)
    return resp


def _page(
    rt: Runtime, state: BrowserState, *, flow: str, email: str, next_: str, again: bool
) -> dict[str, Any]:
    """What every rendering of the sign-in form needs (the passkey partial reads csrf, flow, next)."""
    return {
        "csrf": rt.sessions.csrf_token(state),
        "flow": flow,
        "email": email,
        "next": next_,
        "again": again,
        "step": "",
        "signup_open": rt.ctx.settings.signup == "open",
    }


async def _refused(
    rt: Runtime,
    state: BrowserState,
    decision: SignInDecision,
    *,
    email: str,
    flow: str,
    next_: str,
    again: bool,
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
        **_page(rt, state, flow=flow, email=email, next_=next_, again=again),
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
