"""The second step of signing in: /signin/verify (ACCT-3).

The password was right and a step was begun (web/pages/signin.py); this page asks for a code from
the authenticator app, or a recovery code ("Try another way"), or a passkey (the partial
``signin_passkey.html``, when that feature is installed). A member of an organization that
requires two-step verification and has none sets up an authenticator app here (a fresh secret on
every page, carried sealed in the form; the same one again after a wrong code), sees their
recovery codes once, then continues. domain/accounts/second_step.py decides; this only renders.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from starlette.concurrency import run_in_threadpool
from starlette.responses import RedirectResponse, Response

from consentry.domain.accounts.recovery_codes import RecoveryCodes
from consentry.domain.accounts.second_step import Decision, Pending, Reason, SecondStep
from consentry.domain.accounts.second_step_budget import SecondStepBudget
from consentry.domain.accounts.totp import Enrollment, Totp
from consentry.web.mail_wake import wake_mailer_after_commit
from consentry.web.pages.account_security import codes_page, enrollment_view
from consentry.web.pages.forms import safe_next
from consentry.web.render import error_page, render
from consentry.web.runtime import Runtime, runtime
from consentry.web.session import BrowserState
from consentry.web.signin_complete import signed_in

router = APIRouter(include_in_schema=False)

#: The longest code field we read (a recovery code with its dash and stray spaces is ~15).
MAX_CODE = 64
#: The longest sealed set-up secret we read (a real one is ~90 characters).
MAX_SEALED = 1000
View = tuple[Pending, Enrollment | None]


def second_step(rt: Runtime) -> SecondStep:
    settings = rt.ctx.settings
    budget = SecondStepBudget(
        rt.signin.limiter,
        rt.signin.limits,
        rt.signin.counters,
        issuer=settings.issuer_url,
        operator=settings.operator_name,
    )
    return SecondStep(rt.steps, Totp.from_settings(settings), RecoveryCodes.from_settings(settings), budget)


def _back_to_signin(reason: str, flow: str = "", next_: str = "") -> Response:
    query = {"reason": reason, **({"flow": flow} if flow else {}), **({"next": next_} if next_ else {})}
    return RedirectResponse("/signin?" + urlencode(query), status_code=303)


def _view(rt: Runtime, state: BrowserState, step_id: str, sealed: str = "") -> View | None:
    """What the page shows for this step (the app to set up, when that is what is due: the secret
    ``sealed`` carried back after a wrong code, else a new one)."""
    steps = second_step(rt)
    with rt.ctx.db.unit_of_work() as db:
        session_hash = rt.sessions.sid_hash(state)
        pending = steps.pending(db, session_hash, step_id)
        if pending is None:
            return None
        if pending.setup_required:
            got = steps.setup(db, session_hash, step_id, sealed=sealed)
            return got if got is not None else None
        return pending, None


def _render(
    rt: Runtime,
    state: BrowserState,
    step_id: str,
    view: View,
    *,
    decision: Decision | None = None,
    method: str = "",
) -> Response:
    pending, enrollment = view
    context: dict[str, Any] = {
        "csrf": rt.sessions.csrf_token(state),
        "step": step_id,
        "flow": pending.step.flow,
        "next": pending.step.next,
        "email": pending.user.email,
        "factors": pending.factors,
        "setup": enrollment_view(enrollment) if enrollment is not None else None,
        "error": decision.explanation if decision else None,
        "next_step": decision.next_step if decision else None,
        "reason": decision.reason.value if decision else None,
        "method": method,
    }
    return render("signin_verify.html", status_code=401 if decision else 200, **context)


@router.get("/signin/verify")
async def verify_page(request: Request, step: str = "") -> Response:
    rt = runtime(request)
    state = rt.sessions.state(request)
    view = None if state.fresh else await run_in_threadpool(_view, rt, state, step)
    if view is None:
        return _back_to_signin(Reason.STEP_EXPIRED.value)
    return _render(rt, state, step, view)


@router.post("/signin/verify")
async def verify_submit(request: Request) -> Response:
    rt = runtime(request)
    state = rt.sessions.state(request)
    form = await request.form()
    if not rt.sessions.check_csrf(state, str(form.get("csrf", ""))):
        return error_page("Session check failed", "Your session expired. Go back and try again.", 403, "csrf")
    step_id, method = str(form.get("step", "")), str(form.get("method", "code"))
    code = str(form.get("code", ""))[:MAX_CODE]
    sealed = str(form.get("setup", ""))[:MAX_SEALED] if method == "setup" else ""
    steps = second_step(rt)

    def work() -> Decision:
        with rt.ctx.db.unit_of_work() as db:
            session_hash = rt.sessions.sid_hash(state)
            if method in ("recovery", "setup"):
                wake_mailer_after_commit(request, db)  # the owner's security notice, promptly
            if method == "recovery":
                return steps.check_recovery(db, session_hash, step_id, code)
            if method == "setup":
                return steps.confirm_setup(db, session_hash, step_id, sealed, code)
            return steps.check_code(db, session_hash, step_id, code)

    decision = await run_in_threadpool(work)
    if decision.ok:
        assert decision.user is not None and decision.step is not None
        # The trusted-device cookie was set with the redirect here (web/pages/signin.py).
        done = await signed_in(
            rt,
            request,
            state,
            decision.user,
            amr=decision.amr,
            flow=decision.step.flow,
            next_=safe_next(decision.step.next, ""),
        )
        if not decision.recovery_codes:
            return done
        # Set up at sign-in: the ten codes, once, on the response that signs the browser in.
        page = codes_page(decision.recovery_codes, continue_to=done.headers["location"], at_signin=True)
        page.raw_headers.extend((k, v) for k, v in done.raw_headers if k == b"set-cookie")
        return page
    if decision.reason in (Reason.WRONG_CODE, Reason.SETUP_STALE):
        # A stale set-up secret is not carried on: the page shows a new one, saying why.
        carried = sealed if decision.reason is Reason.WRONG_CODE else ""
        view = await run_in_threadpool(_view, rt, state, step_id, carried)
        if view is not None:
            return _render(rt, state, step_id, view, decision=decision, method=method)
    if decision.reason is Reason.SETUP_REQUIRED:
        return RedirectResponse("/signin/verify?" + urlencode({"step": step_id}), status_code=303)
    flow, next_ = (decision.step.flow, decision.step.next) if decision.step else ("", "")
    reason = Reason.STEP_EXPIRED if decision.reason is Reason.WRONG_CODE else decision.reason
    return _back_to_signin(reason.value, flow, safe_next(next_, ""))
