"""The account page: who is signed in, which apps hold access, and the user's control over them.

DATA-1: every app holding access, what it can reach, since when, last used, its recent calls,
and one button that takes it all back. DATA-2: ask an app to delete the user's data, and follow
the request. CONSENT-8: the user's own consent receipts. LIMIT-6: report an app to reviewers.

Views only render: the services in domain/consent/access.py, reports.py and domain/events/
decide and audit. A refused action rolls back and shows the page again, saying why, at the app.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Annotated

from fastapi import APIRouter, Depends, Request
from sqlalchemy.orm import Session
from starlette.datastructures import FormData
from starlette.responses import HTMLResponse, RedirectResponse, Response

from consentry.domain.accounts import browsers
from consentry.domain.consent import access, reports
from consentry.domain.events import deletion
from consentry.errors import DomainError, http_status
from consentry.web.deps import Csrf, Current, CurrentUser, UnitOfWork
from consentry.web.render import render
from consentry.web.runtime import runtime
from consentry.web.session import Device

router = APIRouter(include_in_schema=False)

#: What a successful action says on the page it redirects to (``?done=<key>``).
DONE = {
    "revoked": "Access removed. The app can no longer reach your account, and it has been told.",
    "revoked-deletion": "Access removed, and the app was asked to delete your data. You can follow "
    "the request below.",
    "revoked-no-deletion": "Access removed. The app registered no way to receive deletion requests: "
    "write to its support address to ask it to delete your data.",
    "reported": "Thank you. Your report is in the reviewers' queue.",
    "deletion": "Your request was sent to the app. You can follow it below.",
}
STATUS_WORDS = {
    "pending": "Waiting for the app",
    "delivered": "Received by the app",
    "failed": "Not accepted by the app",
}
PROTOCOLS = {
    "oauth2": "Web sign-in (OAuth 2.0)",
    "device": "Device sign-in",
    "oauth1": "OAuth 1.0a",
    "authsub": "AuthSub",
    "clientlogin": "ClientLogin",
}


async def _form(request: Request) -> FormData:
    """The posted form (the CSRF check read it already; Starlette keeps it)."""
    return await request.form()


Form = Annotated[FormData, Depends(_form)]


def when(timestamp: int | None) -> str:
    """A stored time for people: ``3 Mar 2025, 14:05 UTC``."""
    if not timestamp:
        return ""
    return dt.datetime.fromtimestamp(timestamp, dt.UTC).strftime("%-d %b %Y, %H:%M UTC")


def day(timestamp: int | None) -> str:
    return dt.datetime.fromtimestamp(timestamp, dt.UTC).strftime("%-d %b %Y") if timestamp else ""


@dataclass(frozen=True)
class Problem:
    """A refused action, shown at the app it was about, with what the user typed kept."""

    project_id: int
    form: str
    error: DomainError
    typed: str = ""


def _page(
    request: Request, db: Session, current: Current, *, done: str = "", problem: Problem | None = None
) -> HTMLResponse:
    rt = runtime(request)
    browsers.seen(db, rt.sessions.sid_hash(current.state), Device.of(request).address)
    deletions = deletion.for_user(db, current.user.id, days=rt.ctx.settings.deletion_overdue_days)
    latest: dict[int, deletion.DeletionStatus] = {}
    for row in deletions:  # newest first: keep the first seen per app
        latest.setdefault(row.project_id, row)
    return render(
        "account.html",
        status_code=http_status(problem.error) if problem else 200,
        accounts=rt.sessions.accounts(db, current.state),
        user=current.user,
        apps=access.connected_apps(db, rt.ctx.catalogue, current.user.id),
        deletions=deletions,
        latest_deletion=latest,
        status_words=STATUS_WORDS,
        overdue_days=rt.ctx.settings.deletion_overdue_days,
        notice=DONE.get(done, ""),
        problem=problem,
        reason_max=reports.REASON_MAX,
        csrf=current.csrf,
        when=when,
        day=day,
    )


@router.get("/account")
def account(request: Request, db: UnitOfWork, current: CurrentUser, done: str = "") -> HTMLResponse:
    """Signed in: the accounts, the apps with access and what each did lately (DATA-1)."""
    return _page(request, db, current, done=done)


def _refused(request: Request, db: Session, current: Current, problem: Problem) -> HTMLResponse:
    db.rollback()
    return _page(request, db, current, problem=problem)


@router.post("/account/apps/{project_id}/revoke")
def revoke(
    _: Csrf, request: Request, project_id: int, db: UnitOfWork, current: CurrentUser, form: Form
) -> Response:
    """DATA-1: one button takes back grants, tokens, codes and device codes; the app is told.
    Ticking "also ask it to delete my data" sends the DATA-2 request in the same step (after
    removing access, the app's card is gone, and with it the button)."""
    issuer = runtime(request).ctx.issuer
    try:
        access.revoke(
            db,
            user_id=current.user.id,
            project_id=project_id,
            actor=current.actor.email,
            issuer=issuer,
            channel=current.actor.channel,
        )
    except DomainError as exc:
        return _refused(request, db, current, Problem(project_id, "revoke", exc))
    if form.get("also_delete") != "yes":
        return RedirectResponse("/account?done=revoked", status_code=303)
    try:
        with db.begin_nested():
            access.ask_deletion(db, user_id=current.user.id, project_id=project_id, issuer=issuer)
    except DomainError:
        return RedirectResponse("/account?done=revoked-no-deletion", status_code=303)
    return RedirectResponse("/account?done=revoked-deletion", status_code=303)


@router.post("/account/apps/{project_id}/report")
def report(
    _: Csrf, request: Request, project_id: int, db: UnitOfWork, current: CurrentUser, form: Form
) -> Response:
    """Report the app to the reviewers: a short reason, kept on the page if it is refused."""
    value = form.get("reason")
    reason = value if isinstance(value, str) else ""
    try:
        reports.report(
            db,
            user_id=current.user.id,
            project_id=project_id,
            reason=reason,
            actor=current.actor.email,
            channel=current.actor.channel,
        )
    except DomainError as exc:
        return _refused(
            request, db, current, Problem(project_id, "report", exc, reason[: reports.REASON_MAX * 2])
        )
    return RedirectResponse("/account?done=reported", status_code=303)


@router.post("/account/apps/{project_id}/delete-data")
def delete_data(_: Csrf, request: Request, project_id: int, db: UnitOfWork, current: CurrentUser) -> Response:
    """DATA-2: a deletion request pushed to the app's endpoint; Conflict when it has none."""
    try:
        access.ask_deletion(
            db, user_id=current.user.id, project_id=project_id, issuer=runtime(request).ctx.issuer
        )
    except DomainError as exc:
        return _refused(request, db, current, Problem(project_id, "deletion", exc))
    return RedirectResponse("/account?done=deletion", status_code=303)


@router.get("/account/receipts")
def receipts(
    request: Request, db: UnitOfWork, current: CurrentUser, before: int | None = None
) -> HTMLResponse:
    """CONSENT-8: what each consent screen showed and what the user answered; their own only."""
    rows = access.receipts(db, current.user.id, before=before)
    catalogue = runtime(request).ctx.catalogue

    def describe(scopes: list[str]) -> tuple[access.GrantedScope, ...]:
        return access.describe(catalogue, scopes)

    return render(
        "account_receipts.html",
        user=current.user,
        receipts=rows,
        more=rows[-1].id if len(rows) == access.RECEIPTS_PAGE else None,
        describe=describe,
        protocols=PROTOCOLS,
        when=when,
    )
