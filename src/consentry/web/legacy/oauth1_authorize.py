"""OAuthAuthorizeToken and the device page: the user's decision on a request token.

Both hand the request to the one legacy approval page (web/legacy/approval.py: sign-in, ``hd``,
the policy gate, the testing and unverified-app screens, the consent page, the receipt) and only
say what happens after. Allow: the token is bound to the user and the scopes ticked, and the app
gets the verifier: appended to its callback with the callback's own query kept (AUTH1-7), shown
as a code to type (``oob``, AUTH1-8), as a number (no callback, AUTH1-9), or nothing at all in
device mode, where the app already holds its code (AUTH1-10). Deny: the token is used up; the
callback gets ``oauth_token`` and ``oauth_problem=user_refused`` and no verifier; the code pages
say access was denied. ``hl`` and ``btmpl=mobile`` are accepted and ignored (the pages adapt).
"""

from __future__ import annotations

from urllib.parse import urlencode

from fastapi import APIRouter
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from consentry.domain.consent.disclosure import app_name_of
from consentry.domain.legacy import oauth1_requests as requests
from consentry.domain.legacy.unregistered import is_unregistered
from consentry.protocol.oauth1 import wire
from consentry.web.client_address import client_address
from consentry.web.legacy import oauth1_glue as glue
from consentry.web.legacy.approval import Account, Allowed, Denied, Pending, approve
from consentry.web.render import error_page, render
from consentry.web.runtime import Runtime, runtime
from consentry.web.session import BrowserState

router = APIRouter(include_in_schema=False)

AUTHORIZE = "/accounts/OAuthAuthorizeToken"
DEVICE = "/accounts/OAuthDevice"
CODE_PAGE = "legacy_oauth1_code.html"


def claimed(pending: requests.Pending) -> tuple[str | None, str | None]:
    """The name (and domain) shown for the app, per AUTH1-11; None where the registration speaks.

    Registered: its registered name, unless it sent ``xoauth_displayname`` (shown, unconfirmed).
    Unregistered: ``xoauth_displayname``, else its callback's domain, else "anonymous"; always
    marked as unconfirmed, with only the callback's domain as its website.
    """
    if not is_unregistered(pending.consumer_key):
        return (pending.display_name or None), None
    domain = wire.callback_domain(pending.callback)
    return (pending.display_name or domain or "anonymous"), domain


def _gone(pending: requests.Pending | None) -> Response | None:
    if pending is None:
        return error_page(
            "This request is not valid",
            "The app sent an unknown request. Nothing was shared.",
            400,
            "token_rejected",
        )
    if pending.expired:
        return error_page(
            "This request has expired",
            "The app's request is older than one hour. Go back to the app and start again. "
            "Nothing was shared.",
            400,
            "token_expired",
        )
    if not pending.open:
        return error_page(
            "This request was already answered",
            "Access for this request was already allowed or denied. Go back to the app.",
            400,
            "token_used",
        )
    return None


def _name(db: Session, pending: requests.Pending) -> str:
    """The name the approval page showed, for the page after it."""
    return claimed(pending)[0] or app_name_of(db, pending.consumer_key) or "the app"


def _mode(pending: requests.Pending) -> str:
    if pending.callback == wire.OOB:
        return "oob"
    return "number" if not pending.callback else "callback"


def _outcome(rt: Runtime, pending: requests.Pending, token: str) -> tuple[Allowed, Denied]:
    """What to do once the user decided: (allowed, denied) for ``approve``."""

    def allowed(db: Session, account: Account, granted: tuple[str, ...]) -> Response:
        mode = _mode(pending)
        verifier = requests.approve(db, rt.ctx.hasher, pending, account.id, granted, mode)
        if verifier is None:  # answered meanwhile (another tab) or just expired
            gone = _gone(requests.find_key(db, glue.envelope(rt), pending.key))
            return gone or error_page("This request was already answered", "Go back to the app.", 400)
        name = _name(db, pending)
        if pending.device:
            return render(CODE_PAGE, kind="device", app_name=name)
        if mode == "callback":
            pairs = [("oauth_token", token), ("oauth_verifier", verifier)] if token else []
            return RedirectResponse(wire.callback_with(pending.callback, pairs), status_code=302)
        return render(CODE_PAGE, kind=mode, app_name=name, code=verifier)

    def denied(db: Session, account: Account) -> Response:
        requests.deny(db, pending.key)
        if _mode(pending) == "callback" and not pending.device and token:
            pairs = [("oauth_token", token), ("oauth_problem", "user_refused")]
            return RedirectResponse(wire.callback_with(pending.callback, pairs), status_code=302)
        return render(CODE_PAGE, kind="denied", app_name=_name(db, pending))

    return allowed, denied


def _pending_view(
    pending: requests.Pending, fields: dict[str, str], action: str, here: str, hd: str
) -> Pending:
    name, domain = claimed(pending)
    return Pending(
        protocol="oauth1",
        client_id=pending.consumer_key,
        scopes=pending.scopes,
        fields=fields,
        form_action=action,
        here=here,
        hd=hd or pending.hd,
        claimed_name=name,
        claimed_domain=domain,
    )


async def _form(request: Request) -> FormData | None:
    return await request.form() if request.method == "POST" else None


@router.api_route(AUTHORIZE, methods=["GET", "POST"])
async def authorize_token(request: Request) -> Response:
    rt = runtime(request)
    form = await _form(request)
    source = form if form is not None else request.query_params
    token = str(source.get("oauth_token") or "")
    hd = str(source.get("hd") or "").strip().lower()[:255]
    pending = await run_in_threadpool(_find, rt, token)
    gone = _gone(pending)
    if gone is not None or pending is None:
        return gone or error_page("This request is not valid", "Nothing was shared.", 400)
    fields = {"oauth_token": token, **({"hd": hd} if hd else {})}
    here = AUTHORIZE + "?" + urlencode(fields)
    allowed, denied = _outcome(rt, pending, token)
    return await approve(request, _pending_view(pending, fields, AUTHORIZE, here, hd), form, allowed, denied)


def _find(rt: Runtime, token: str) -> requests.Pending | None:
    with rt.ctx.db.unit_of_work() as db:
        return requests.find(db, rt.ctx.hasher, glue.envelope(rt), token)


def _signed_in(rt: Runtime, state: BrowserState) -> bool:
    with rt.ctx.db.unit_of_work() as db:
        return bool(rt.sessions.accounts(db, state))


def _find_code(rt: Runtime, code: str, address: str) -> requests.Pending | int | None:
    """The request of a typed code; the seconds to wait when this address typed too many."""
    with rt.ctx.db.unit_of_work() as db:
        refused = rt.ctx.quotas.code_guess(db, address)
    if refused is not None:
        return max(1, refused.retry_after)
    with rt.ctx.db.unit_of_work() as db:
        return requests.find_by_user_code(db, rt.ctx.hasher, glue.envelope(rt), code)


@router.api_route(DEVICE, methods=["GET", "POST"])
async def device_page(request: Request) -> Response:
    """AUTH1-10: the user types the code the app showed, then the same approval as above."""
    rt = runtime(request)
    form = await _form(request)
    source = form if form is not None else request.query_params
    code = requests.normalized(str(source.get("user_code") or ""))[:40]
    state = rt.sessions.state(request)
    if not code:
        if not await run_in_threadpool(_signed_in, rt, state):
            return RedirectResponse("/signin?" + urlencode({"next": DEVICE}), status_code=303)
        return render(
            "legacy_oauth1_device.html", csrf=rt.sessions.csrf_token(state), user_code="", error=None
        )
    if not await run_in_threadpool(_signed_in, rt, state):
        # Signed in first, then the code is looked up: nobody learns whether a code is live.
        back = DEVICE + "?" + urlencode({"user_code": code})
        return RedirectResponse("/signin?" + urlencode({"next": back}), status_code=303)
    step = str(form.get("step", "")) if form is not None else ""
    if form is not None and step == "lookup" and not rt.sessions.check_csrf(state, str(form.get("csrf", ""))):
        return error_page("Session check failed", "Go back and try again.", 403, "csrf")
    pending = await run_in_threadpool(_find_code, rt, code, client_address(request.scope))
    if isinstance(pending, int):
        page = error_page(
            "Too many codes tried", "Too many codes were typed from your network. Wait and try again.", 429
        )
        page.headers["Retry-After"] = str(pending)
        return page
    if pending is None or not pending.device or not pending.open:
        return render(
            "legacy_oauth1_device.html",
            status_code=400,
            csrf=rt.sessions.csrf_token(state),
            user_code=code,
            error="That code is wrong or has expired. Check the code on your device and try again.",
        )
    display = f"{code[:4]}-{code[4:]}"
    fields = {"user_code": display}
    here = DEVICE + "?" + urlencode(fields)
    allowed, denied = _outcome(rt, pending, "")
    decision = form if step in ("screen", "decide") else None
    return await approve(request, _pending_view(pending, fields, DEVICE, here, ""), decision, allowed, denied)
