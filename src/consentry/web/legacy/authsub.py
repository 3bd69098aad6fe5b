"""AuthSubRequest (AUTH3-1, AUTH3-4): the access page, then ``next?token=<single-use token>``.

GET shows what the gate asks for (sign-in, screens, consent: web/legacy/approval.py, the same
pages as OAuth 2.0); the forms post back here. The request travels in hidden fields, so nothing is
stored for a visitor who never signs in; the single-use token is stored only when the user allows.
A registered app (the host of ``next`` is its ``legacy_domain``) is shown by its name; any other by
the address that called, marked as unconfirmed (AUTH3-4). Secure tokens are for registered apps
with a certificate only (AUTH3-5).
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any
from urllib.parse import urlsplit

from fastapi import APIRouter, Request
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData
from starlette.responses import RedirectResponse, Response

from consentry.domain.legacy import authsub, authsub_apps
from consentry.domain.legacy.scope_map import LegacyScopes
from consentry.domain.scopes.catalogue import Catalogue
from consentry.protocol.authsub import wire
from consentry.web.legacy import authsub_tokens
from consentry.web.legacy.approval import Account, Pending, approve
from consentry.web.render import render
from consentry.web.runtime import Runtime, runtime

PATH = "/accounts/AuthSubRequest"
#: Hidden fields carrying the request through the approval forms ("scope" is the consent page's).
FIELDS = {
    "next": "as_next",
    "scope": "as_scope",
    "secure": "as_secure",
    "session": "as_session",
    "hd": "as_hd",
}

router = APIRouter(include_in_schema=False)
router.include_router(authsub_tokens.router)


@lru_cache(maxsize=8)
def _scopes(catalogue: Catalogue, issuer: str) -> LegacyScopes:
    return LegacyScopes(catalogue, issuer)


def _problem(title: str, message: str, code: str, status: int = 400, **extra: Any) -> Response:
    return render(
        "legacy_authsub_error.html", status_code=status, title=title, message=message, error=code, **extra
    )


def _fields(p: wire.Params) -> dict[str, str]:
    values = {"next": p.next, "scope": p.scope, "secure": str(int(p.secure)), "session": str(int(p.session))}
    values["hd"] = p.hd
    return {FIELDS[k]: v for k, v in values.items()}


@router.get(PATH)
async def request_page(request: Request) -> Response:
    return await _handle(request, wire.query_pairs(request.url.query), None)


@router.post(PATH)
async def request_decide(request: Request) -> Response:
    form = await request.form()
    return await _handle(request, {k: str(form.get(v, "")) for k, v in FIELDS.items()}, form)


async def _handle(request: Request, raw: dict[str, str], form: FormData | None) -> Response:
    rt = runtime(request)
    try:
        p = wire.parse_request(raw)
    except wire.RequestError as exc:
        return _problem(exc.title, str(exc), exc.code)
    resolved = _scopes(rt.ctx.catalogue, rt.ctx.issuer).resolve(p.scope)
    if resolved.unknown or not resolved.scopes:
        return _problem(
            "This app asked for access we don't know",
            "The app asked for access that this server does not offer, so nothing can be shared.",
            "invalid_scope",
            unknown=resolved.unknown,
        )
    app = await run_in_threadpool(_app, rt, p)
    if p.secure and not (app.registered and app.certificate):
        return _problem(
            "This app can't ask for secure access",
            "Secure tokens are only for web apps registered with this server together with a certificate. "
            "Nothing was shared.",
            "secure_not_registered",
        )
    pending = Pending(
        protocol=authsub.PROTOCOL,
        client_id=app.client_id,
        scopes=resolved.scopes,
        fields=_fields(p),
        form_action=PATH,
        here=f"{PATH}?{p.query()}",
        hd=p.hd,
        claimed_name=None if app.registered else p.next_host,
        claimed_domain=None if app.registered else p.next_origin,
    )

    def allowed(db: Session, account: Account, granted: tuple[str, ...]) -> Response:
        if not granted:
            return _denied_page(p, nothing_chosen=True)
        token = authsub.create_single_use(
            db,
            rt.ctx.hasher,
            client_pk=app.client_pk,
            user_id=account.id,
            scopes=granted,
            next_url=p.next,
            secure=p.secure,
            upgradable=p.session,
            hd=p.hd,
            source=app.name if app.registered else p.next_host,
        )
        return RedirectResponse(wire.with_token(p.next, token), status_code=303 if form is not None else 302)

    def denied(db: Session, account: Account) -> Response:
        return _denied_page(p)

    return await approve(request, pending, form, allowed, denied)


def _app(rt: Runtime, p: wire.Params) -> authsub_apps.App:
    with rt.ctx.db.unit_of_work() as db:
        return authsub_apps.app_for(db, rt.ctx.catalogue, p.next_host, p.next_hostname)


def _denied_page(p: wire.Params, *, nothing_chosen: bool = False) -> Response:
    """The user stays on our page (AUTH3-1): the app gets no answer at all, only a link home."""
    parts = urlsplit(p.next)
    return render(
        "legacy_authsub_denied.html",
        host=p.next_host,
        home=f"{parts.scheme}://{parts.netloc}/",
        nothing_chosen=nothing_chosen,
    )
