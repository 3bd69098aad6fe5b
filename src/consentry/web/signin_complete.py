"""The last step of every way of signing in: the account joins the browser's session.

Password alone, password then a second step, a passkey, an accepted invitation: each ends here,
so the session id is always replaced (fixation), ``amr`` always recorded, a paused authorization
flow always resumed for the account that signed in, and the trusted-device cookie always set.
"""

from __future__ import annotations

from urllib.parse import urlencode

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from consentry.domain.accounts.devices import COOKIE as DEVICE_COOKIE
from consentry.storage.tables import User
from consentry.web.flow_store import pin_signed_in
from consentry.web.runtime import Runtime
from consentry.web.session import BrowserState, Device


async def signed_in(
    rt: Runtime,
    request: Request,
    state: BrowserState,
    user: User,
    *,
    amr: str,
    flow: str = "",
    next_: str = "",
    device_secret: str | None = None,
) -> Response:
    """Sign ``user`` in to this browser and send it on: to the paused flow, ``next_``, or /account.

    ``next_`` must already be a safe local path (web/pages/forms.py ``safe_next``).
    """
    device = Device.of(request)

    def work() -> BrowserState:
        with rt.ctx.db.unit_of_work() as db:
            new_state = rt.sessions.sign_in(db, state, user, amr=amr, device=device)
            if flow:
                row = rt.flow.resume(db, new_state, flow)
                if row is not None:
                    pin_signed_in(row, user.id)
            return new_state

    new_state = await run_in_threadpool(work)
    target = "/authorize/continue?" + urlencode({"flow": flow}) if flow else (next_ or "/account")
    redirect = RedirectResponse(target, status_code=303)
    rt.sessions.set_cookie(redirect, new_state)
    if device_secret:
        set_device_cookie(rt, redirect, device_secret)
    return redirect


def set_device_cookie(rt: Runtime, response: Response, secret: str) -> None:
    """The trusted-device cookie (domain/accounts/devices.py): sent only to the sign-in pages."""
    response.set_cookie(
        DEVICE_COOKIE,
        secret,
        max_age=rt.ctx.settings.trusted_device_ttl,
        httponly=True,
        samesite="lax",
        secure=rt.ctx.settings.secure_cookies,
        path="/signin",
    )
