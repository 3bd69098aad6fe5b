"""The device verification page (RFC 8628 section 3.3): enter the code, review, approve."""

from __future__ import annotations

from urllib.parse import urlencode

from fastapi import APIRouter, Request
from starlette.concurrency import run_in_threadpool
from starlette.responses import RedirectResponse, Response

from consentry.domain.audit import record
from consentry.domain.audit.tags import AuditTag, Channel
from consentry.domain.consent import service as consent
from consentry.domain.scopes.catalogue import SIGN_IN
from consentry.domain.tokens import device
from consentry.protocol.oauth2.models import DEVICE_GRANT, may_use_grant
from consentry.storage.tables import Client
from consentry.web.render import error_page, render
from consentry.web.runtime import runtime

router = APIRouter(include_in_schema=False)


@router.get("/device")
async def device_page(request: Request, user_code: str = "") -> Response:
    rt = runtime(request)
    state = rt.sessions.state(request)

    def work() -> bool:
        with rt.ctx.db.unit_of_work() as db:
            return bool(rt.sessions.accounts(db, state))

    if not await run_in_threadpool(work):
        target = "/device" + ("?" + urlencode({"user_code": user_code}) if user_code else "")
        return RedirectResponse("/signin?" + urlencode({"next": target}), status_code=303)
    return render("device.html", csrf=rt.sessions.csrf_token(state), user_code=user_code, error=None)


@router.post("/device")
async def device_submit(request: Request) -> Response:
    """Two steps on one URL: look the code up (step=lookup), then record the decision (step=decide)."""
    rt = runtime(request)
    state = rt.sessions.state(request)
    form = await request.form()
    if not rt.sessions.check_csrf(state, str(form.get("csrf", ""))):
        return error_page("Session check failed", "Go back and try again.", 403, "csrf")
    user_code = str(form.get("user_code", ""))
    step = str(form.get("step", "lookup"))
    allow = form.get("action") == "allow"
    checked = [str(v) for v in form.getlist("scope")]
    catalogue = rt.ctx.catalogue

    def work() -> Response:
        with rt.ctx.db.unit_of_work() as db:
            accounts = rt.sessions.accounts(db, state)
            if not accounts:
                return RedirectResponse("/signin?" + urlencode({"next": "/device"}), status_code=303)
            user = accounts[0]
            row = device.by_user_code(db, rt.ctx.hasher, user_code)
            if row is None:
                return render(
                    "device.html",
                    status_code=400,
                    csrf=rt.sessions.csrf_token(state),
                    user_code=user_code,
                    error="That code is wrong or has expired. Check the device.",
                )
            client = db.get(Client, row.client_pk)
            if client is None or client.disabled or not may_use_grant(client.client_type, DEVICE_GRANT):
                # Defence in depth: /device/code refuses such clients, but never approve their codes.
                return render(
                    "device.html",
                    status_code=400,
                    csrf=rt.sessions.csrf_token(state),
                    user_code=user_code,
                    error="This app cannot use device sign-in. Nothing was shared.",
                )
            requested = row.scope.split()
            if step == "lookup":
                return render(
                    "consent.html",
                    flow="",
                    csrf=rt.sessions.csrf_token(state),
                    client=client,
                    project=client.project if client else None,
                    user=user,
                    device_code=user_code,
                    sign_in=[catalogue.by_uri[s] for s in requested if s in SIGN_IN],
                    data_scopes=[
                        catalogue.by_uri[s] for s in requested if s not in SIGN_IN and s in catalogue.by_uri
                    ],
                    redirect_host="",
                )
            if not allow:
                device.decide(row, user.id, None)
                record(
                    db,
                    AuditTag.DEVICE_DENY,
                    actor=user.email,
                    data={"client_pk": row.client_pk},
                    channel=Channel.WEB,
                )
                return render("device_done.html", approved=False)
            agreed = [s for s in requested if s in SIGN_IN or s in checked]
            consent.grant(db, user.id, row.client_pk, agreed, actor=user.email)
            device.decide(row, user.id, " ".join(agreed))
            return render("device_done.html", approved=True, client=client)

    return await run_in_threadpool(work)
