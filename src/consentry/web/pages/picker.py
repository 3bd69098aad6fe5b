"""The file picker: a user hands chosen files to an app, one by one (files.file, SCOPE-2).

An app that holds only the per-file scope sends the user here; the user ticks files and the
app gets their ids back on its registered redirect URI. The picker is the "user grants each
file" half of the rule that keeps files.file non-sensitive.
"""

from __future__ import annotations

from urllib.parse import urlencode

from fastapi import APIRouter, Request
from sqlalchemy import select
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool
from starlette.responses import RedirectResponse, Response

from consentry.domain.audit import record
from consentry.domain.audit.tags import AuditTag, Channel
from consentry.domain.clients.redirect_uris import matches
from consentry.domain.clients.service import find_client
from consentry.domain.data import files
from consentry.errors import DomainError
from consentry.storage.tables import Client, StoredFile
from consentry.web.render import error_page, render
from consentry.web.runtime import runtime

router = APIRouter(include_in_schema=False)
MAX_PICKS = 50


def _client(db: Session, client_id: str, redirect_uri: str) -> Client | Response:
    """The app, or the error page to show: never redirect before the app and its redirect URI
    check out (no open redirector)."""
    client = find_client(db, client_id)
    if client is None or client.disabled or client.client_type not in ("web", "installed"):
        error = ("invalid_client", "This app is unknown or cannot use the file picker.")
    elif not matches(redirect_uri, list(client.redirect_uris), client.client_type):
        error = ("invalid_redirect_uri", "This app did not register that address.")
    else:
        return client
    return error_page("Cannot open the file picker", error[1], 400, error[0])


def _back(redirect_uri: str, **params: str) -> RedirectResponse:
    sep = "&" if "?" in redirect_uri else "?"
    return RedirectResponse(redirect_uri + sep + urlencode(params), status_code=303)


@router.get("/picker")
async def picker(request: Request, client_id: str = "", redirect_uri: str = "", state: str = "") -> Response:
    rt = runtime(request)
    browser = rt.sessions.state(request)

    def work() -> Response:
        with rt.ctx.db.unit_of_work() as db:
            client = _client(db, client_id, redirect_uri)
            if isinstance(client, Response):
                return client
            accounts = rt.sessions.accounts(db, browser)
            if not accounts:
                here = request.url.path + "?" + request.url.query
                return RedirectResponse("/signin?" + urlencode({"next": here}), status_code=303)
            user = accounts[0]
            rows = db.scalars(
                select(StoredFile)
                .where(StoredFile.owner_id == user.id, StoredFile.space == "files")
                .order_by(StoredFile.modified_at.desc(), StoredFile.id.desc())
            )
            return render(
                "picker.html",
                app_name=client.name,
                user=user,
                files=list(rows),
                client_id=client_id,
                redirect_uri=redirect_uri,
                state=state,
                csrf=rt.sessions.csrf_token(browser),
            )

    return await run_in_threadpool(work)


@router.post("/picker")
async def picker_submit(request: Request) -> Response:
    rt = runtime(request)
    browser = rt.sessions.state(request)
    form = await request.form()
    client_id, redirect_uri = str(form.get("client_id", "")), str(form.get("redirect_uri", ""))
    state = str(form.get("state", ""))
    chosen = [str(v) for v in form.getlist("file")][:MAX_PICKS]
    if not rt.sessions.check_csrf(browser, str(form.get("csrf", ""))):
        return error_page("Session check failed", "Your session expired. Go back and try again.", 403, "csrf")

    def work() -> Response:
        with rt.ctx.db.unit_of_work() as db:
            client = _client(db, client_id, redirect_uri)
            if isinstance(client, Response):
                return client
            accounts = rt.sessions.accounts(db, browser)
            if not accounts:
                return error_page(
                    "Signed out", "Sign in again and pick the files once more.", 403, "login_required"
                )
            if form.get("action") != "share" or not chosen:
                return _back(redirect_uri, error="access_denied", state=state)
            user = accounts[0]
            try:
                for file_id in chosen:
                    files.pick(db, user.id, client.project_id, file_id)
            except DomainError:
                return error_page(
                    "File not found", "One of the chosen files no longer exists.", 404, "not_found"
                )
            record(
                db,
                AuditTag.FILE_PICK,
                actor=user.email,
                data={"client_id": client_id, "files": chosen},
                channel=Channel.WEB,
            )
            return _back(redirect_uri, picked=",".join(chosen), state=state)

    return await run_in_threadpool(work)
