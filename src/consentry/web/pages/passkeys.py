"""Passkeys in the browser: sign in with one, use one as the second step, manage them (ACCT-3).

The ceremonies are JSON calls made by static/passkeys.js (``navigator.credentials`` needs script):
options, then the browser's signed answer. They carry the CSRF token in ``X-CSRF-Token``. A refusal
is ``{"error", "error_description"}`` with its status, shown by the script in an aria-live area;
a sign-in that succeeds answers ``{"redirect": ...}`` with the new session's cookies, exactly what
``signed_in`` would have redirected with. Renaming and removing are plain forms.

The domain decides (domain/accounts/passkeys*.py); these views only render. A refused ceremony
still commits: the step it used up stays used up, and a wrong second step stays counted.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool
from starlette.responses import HTMLResponse, JSONResponse, RedirectResponse, Response

from consentry.domain.accounts.factors import factors_of
from consentry.domain.accounts.passkeys import (
    MAX_NAME,
    MAX_PASSKEYS,
    RelyingParty,
    list_passkeys,
    remove,
    rename,
)
from consentry.domain.accounts.passkeys_ceremony import Ceremony, PasskeyError
from consentry.domain.accounts.passkeys_enrol import enrol_finish, enrol_options
from consentry.domain.accounts.passkeys_signin import (
    PasskeySignIn,
    second_step_finish,
    second_step_options,
    signin_finish,
    signin_options,
)
from consentry.errors import DomainError, http_status
from consentry.web.client_address import client_address
from consentry.web.deps import Csrf, Current, CurrentUser, RecentUser, UnitOfWork
from consentry.web.pages.account import Form
from consentry.web.pages.account_view import account_page
from consentry.web.pages.forms import safe_next
from consentry.web.runtime import Runtime, runtime
from consentry.web.session import Device
from consentry.web.signin_complete import signed_in

router = APIRouter(include_in_schema=False)

PAGE = "/account/passkeys"
DONE = {
    "added": "Passkey added. You can sign in with it now, without typing your password.",
    "renamed": "Passkey renamed.",
    "removed": "Passkey removed. It can no longer be used to sign in to your account.",
}
MAX_FIELD = 4000


async def _json_body(request: Request) -> dict[str, Any]:
    """The request's JSON object; anything else is a 400 saying what was expected."""
    try:
        data = json.loads(await request.body() or b"{}")
    except ValueError:
        data = None
    if not isinstance(data, dict):
        raise PasskeyError("invalid_request", "The request body must be a JSON object.")
    return data


Body = Annotated[dict[str, Any], Depends(_json_body)]


def _text(body: dict[str, Any], key: str) -> str:
    value = body.get(key, "")
    if not isinstance(value, str) or len(value) > MAX_FIELD:
        raise PasskeyError("invalid_request", f"“{key}” must be a string of at most {MAX_FIELD} characters.")
    return value


def _refusal(exc: DomainError) -> JSONResponse:
    body: dict[str, Any] = {"error": exc.code, "error_description": exc.message}
    if isinstance(exc, PasskeyError) and exc.restart:
        body["restart"] = "/signin"
    return JSONResponse(body, http_status(exc))


def _ceremony(c: Ceremony, **extra: Any) -> JSONResponse:
    return JSONResponse({"step": c.step, "options": c.options, **extra})


def _rp(rt: Runtime) -> RelyingParty:
    return RelyingParty.of(rt.ctx.settings)


# --- signing in ---------------------------------------------------------------------------------
@router.post("/signin/passkey/options")
async def signin_passkey_options(request: Request, _: Csrf, body: Body) -> Response:
    """With ``step`` (the second-step page's): that account's keys. Without: any discoverable key."""
    rt = runtime(request)
    state = rt.sessions.state(request)
    try:
        step_id, flow, next_ = _text(body, "step"), _text(body, "flow")[:100], _text(body, "next")
    except DomainError as exc:
        return _refusal(exc)

    address = client_address(request.scope)

    def work() -> Ceremony | DomainError:
        with rt.ctx.db.unit_of_work() as db:
            h = rt.sessions.sid_hash(state)
            try:
                if step_id:
                    return second_step_options(db, rt.steps, h, _rp(rt), step_id)
                if rt.ctx.quotas.passkey_signin(db, address) is not None:
                    return DomainError(
                        "rate_limited", "Too many passkey sign-ins from your network. Wait a minute."
                    )
                return signin_options(db, rt.steps, h, _rp(rt), flow=flow, next_=safe_next(next_, ""))
            except DomainError as exc:
                return exc

    result = await run_in_threadpool(work)
    if isinstance(result, DomainError):
        return _refusal(result)
    return _ceremony(result, second=bool(step_id))


@router.post("/signin/passkey/finish")
async def signin_passkey_finish(request: Request, _: Csrf, body: Body) -> Response:
    """The browser's answer; accepted, the account signs in as every sign-in does (signed_in)."""
    rt = runtime(request)
    state = rt.sessions.state(request)
    second = body.get("second") is True
    try:
        step_id = _text(body, "step")
    except DomainError as exc:
        return _refusal(exc)
    credential = body.get("credential")

    def work() -> PasskeySignIn | DomainError:
        finish = second_step_finish if second else signin_finish
        with rt.ctx.db.unit_of_work() as db:
            try:
                return finish(db, rt.steps, rt.sessions.sid_hash(state), _rp(rt), step_id, credential)
            except DomainError as exc:
                return exc  # committed all the same: the used step and the counted try stay

    result = await run_in_threadpool(work)
    if isinstance(result, DomainError):
        return _refusal(result)
    redirect = await signed_in(
        rt, request, state, result.user, amr=result.amr, flow=result.flow, next_=safe_next(result.next, "")
    )
    answer = JSONResponse({"redirect": redirect.headers["location"]})
    answer.raw_headers.extend((k, v) for k, v in redirect.raw_headers if k == b"set-cookie")
    return answer


# --- the account's passkeys ------------------------------------------------------------------------
@dataclass(frozen=True)
class Problem:
    """A refused rename or removal, shown at the passkey it was about."""

    passkey_id: int
    form: str
    error: DomainError


def _page(
    request: Request, db: Session, current: Current, *, done: str = "", problem: Problem | None = None
) -> HTMLResponse:
    factors = factors_of(db, current.user)
    return account_page(
        "account_passkeys.html",
        current,
        refusal=problem.error if problem else None,
        keys=list_passkeys(db, current.user.id),
        required=factors.required,
        totp=factors.totp,
        notice=DONE.get(done, ""),
        problem=problem,
        max_name=MAX_NAME,
        max_keys=MAX_PASSKEYS,
        rp=_rp(runtime(request)),
    )


@router.get(PAGE)
def passkeys_page(request: Request, db: UnitOfWork, current: CurrentUser, done: str = "") -> HTMLResponse:
    """The account's passkeys: name, added, last used, whether the key verifies its user."""
    return _page(request, db, current, done=done)


@router.get(PAGE + "/options")
@router.get(PAGE + "/{passkey_id}/rename")
@router.get(PAGE + "/{passkey_id}/remove")
def back_to_page() -> Response:
    """Where a re-authentication lands after an action was interrupted (RecentUser): the page."""
    return RedirectResponse(PAGE, status_code=303)


@router.post(PAGE + "/options")
def add_options(request: Request, _: Csrf, db: UnitOfWork, current: RecentUser) -> Response:
    rt = runtime(request)
    try:
        ceremony = enrol_options(db, rt.steps, rt.sessions.sid_hash(current.state), _rp(rt), current.user)
    except DomainError as exc:
        return _refusal(exc)
    return _ceremony(ceremony)


@router.post(PAGE)
def add(request: Request, _: Csrf, body: Body, db: UnitOfWork, current: RecentUser) -> Response:
    """The browser's attestation for the step of ``/options``: the key joins the account."""
    rt = runtime(request)
    try:
        key = enrol_finish(
            db,
            rt.steps,
            rt.sessions.sid_hash(current.state),
            _rp(rt),
            current.user,
            step_id=_text(body, "step"),
            credential=body.get("credential"),
            name=_text(body, "name"),
            issuer=rt.ctx.issuer,
            device=Device.of(request).user_agent,
            channel=current.actor.channel,
        )
    except DomainError as exc:
        return _refusal(exc)  # the unit of work commits: the step stays used up
    shown = {"id": key.id, "name": key.name, "user_verified": key.user_verified}
    return JSONResponse({"passkey": shown, "redirect": PAGE + "?done=added"}, 201)


def _refused(request: Request, db: Session, current: Current, problem: Problem) -> HTMLResponse:
    db.rollback()
    return _page(request, db, current, problem=problem)


@router.post(PAGE + "/{passkey_id}/rename")
def rename_key(
    request: Request, passkey_id: int, _: Csrf, db: UnitOfWork, current: RecentUser, form: Form
) -> Response:
    try:
        rename(db, current.user, passkey_id, str(form.get("name", "")))
    except DomainError as exc:
        return _refused(request, db, current, Problem(passkey_id, "rename", exc))
    return RedirectResponse(PAGE + "?done=renamed", status_code=303)


@router.post(PAGE + "/{passkey_id}/remove")
def remove_key(request: Request, passkey_id: int, _: Csrf, db: UnitOfWork, current: RecentUser) -> Response:
    rt = runtime(request)
    try:
        remove(
            db,
            current.user,
            passkey_id,
            channel=current.actor.channel,
            issuer=rt.ctx.issuer,
            operator=_rp(rt).name,
            device=Device.of(request).user_agent,
        )
    except DomainError as exc:
        return _refused(request, db, current, Problem(passkey_id, "remove", exc))
    return RedirectResponse(PAGE + "?done=removed", status_code=303)
