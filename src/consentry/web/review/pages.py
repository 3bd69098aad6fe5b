"""The reviewer console: the queue of verification requests and the review page (VERIFY-6, VERIFY-7).

Every view needs the platform's REVIEW permission (a developer, even the project's owner, gets
403). Actions are forms carrying the CSRF field; the Verification service moves the state,
writes the audit event and puts the mail to the developer contacts in the outbox. A refused
action (wrong state 409, bad input 400) rolls back and shows the page again with the message.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Annotated, Any
from urllib.parse import quote, urlencode

from fastapi import APIRouter, Depends, Request
from starlette.datastructures import FormData
from starlette.responses import HTMLResponse, RedirectResponse, Response

from consentry.domain.permissions import Permission
from consentry.errors import DomainError, InvalidInput, http_status
from consentry.web.deps import Console, Csrf, require_platform
from consentry.web.render import render
from consentry.web.review import listing, view
from consentry.web.review.listing import NEEDS_FILTERS, STATE_FILTERS
from consentry.web.review.view import TIER_CHOICES

router = APIRouter(include_in_schema=False)

Reviewer = Annotated[Console, require_platform(Permission.REVIEW)]

#: What a successful action says on the page it redirects to (``?done=<key>``).
DONE = {
    "started": "Review started. The developer sees that a reviewer is looking at the app.",
    "approved": "Approved. The developer contacts and the support address are told by email.",
    "rejected": "Rejected. The reasons were sent to the developer contacts and the support address.",
    "asked": "Question sent. The request waits for the developer's answer (90 days at most).",
    "assessed": "Security assessment recorded.",
}


async def _form(request: Request) -> FormData:
    """The posted form (the CSRF check read it already; Starlette keeps it)."""
    return await request.form()


Form = Annotated[FormData, Depends(_form)]


def review_url(project: str, tail: str = "") -> str:
    """The review page's address; project names may hold spaces."""
    base = "/review/" + quote(project, safe="")
    return f"{base}/{tail}" if tail else base


def _text(form: FormData, name: str) -> str:
    value = form.get(name)
    return value if isinstance(value, str) else ""


def _strings(form: FormData, name: str) -> list[str]:
    return [v for v in form.getlist(name) if isinstance(v, str)]


# --- the queue -------------------------------------------------------------------------------------


@router.get("/review")
def queue(console: Reviewer, state: str = "open", needs: str = "") -> HTMLResponse:
    """The requests to review, filtered by state and needed class, each with its age."""
    state = state if state in STATE_FILTERS else "open"
    needs = needs if needs in NEEDS_FILTERS else ""
    items, counts = listing.queue(console.verification, state, needs)
    return render(
        "review/queue.html",
        items=items,
        counts=counts,
        state=state,
        needs=needs,
        state_filters=STATE_FILTERS,
        needs_filters=NEEDS_FILTERS,
        old_after=listing.OLD_AFTER_DAYS,
        filter_url=lambda **kw: "/review?" + urlencode({"state": state, "needs": needs, **kw}),
        review_url=review_url,
        day=listing.day,
        reports=listing.open_reports(console.db),  # users' open reports of apps (LIMIT-6)
        user=console.current.user,
    )


# --- the review page --------------------------------------------------------------------------------


def _page(
    console: Console,
    name: str,
    *,
    status_code: int = 200,
    error: DomainError | None = None,
    done: str = "",
    typed: dict[str, Any] | None = None,
) -> HTMLResponse:
    page = view.review(console.verification, name)
    return render(
        "review/review.html",
        status_code=status_code,
        v=page,
        project=page.project,
        error=error,
        notice=DONE.get(done, ""),
        typed=typed or {},
        csrf=console.current.csrf,
        review_url=review_url,
        day=listing.day,
        reports=listing.open_reports(console.db),  # users' open reports of apps (LIMIT-6)
        tiers=TIER_CHOICES,
        today=dt.datetime.now(dt.UTC).date().isoformat(),
        user=console.current.user,
    )


@router.get("/review/{project}")
def review_page(project: str, console: Reviewer, done: str = "") -> HTMLResponse:
    return _page(console, project, done=done)


@router.get("/review/{project}/logo.png")
def logo(project: str, console: Reviewer) -> Response:
    """The logo the developer uploaded, as re-encoded on upload (a PNG, nothing else survived)."""
    row = console.projects.get(project, Permission.PROJECT_VIEW)
    if not row.logo_png:
        return Response(status_code=404)
    return Response(row.logo_png, media_type="image/png", headers={"Cache-Control": "private, no-cache"})


def _act(
    console: Console, name: str, done: str, action: Callable[[], object], typed: dict[str, Any] | None = None
) -> Response:
    """Run a reviewer's action; on a refusal nothing is kept and the page says why."""
    try:
        action()
    except DomainError as exc:
        console.db.rollback()
        return _page(console, name, status_code=http_status(exc), error=exc, typed=typed)
    return RedirectResponse(review_url(name) + f"?done={done}", status_code=303)


@router.post("/review/{project}/start")
def start(_: Csrf, project: str, console: Reviewer) -> Response:
    return _act(console, project, "started", lambda: console.review.start(project))


@router.post("/review/{project}/approve")
def approve(_: Csrf, project: str, console: Reviewer, form: Form) -> Response:
    """VERIFY-6: the decision is per scope; only the ticked scopes are approved."""
    scopes = _strings(form, "scope")

    def act() -> object:
        if not scopes:
            raise InvalidInput(
                "no_scope", "Tick at least one scope to approve; to refuse them all, reject the request."
            )
        return console.review.approve(project, scopes)

    return _act(console, project, "approved", act, {"approve": scopes})


@router.post("/review/{project}/reject")
def reject(_: Csrf, project: str, console: Reviewer, form: Form) -> Response:
    """Rejected with reasons, one per line; the developer gets them by email."""
    reasons = _text(form, "reasons")
    return _act(
        console,
        project,
        "rejected",
        lambda: console.review.reject(project, reasons.splitlines()),
        {"reasons": reasons},
    )


@router.post("/review/{project}/ask")
def ask(_: Csrf, project: str, console: Reviewer, form: Form) -> Response:
    """VERIFY-7: ask the developer for more information; the review pauses until they answer."""
    message = _text(form, "message")
    return _act(console, project, "asked", lambda: console.review.ask(project, message), {"message": message})


@router.post("/review/{project}/assessment")
def assessment(_: Csrf, project: str, console: Reviewer, form: Form) -> Response:
    """SEC-5, SEC-8: record the letter of validation; it lapses 12 months after its date."""
    typed: dict[str, Any] = {
        "assessor": _text(form, "assessor"),
        "tier": _text(form, "tier"),
        "letter_date": _text(form, "letter_date"),
        "scopes": _strings(form, "scope"),
        "deletion_checked": bool(_text(form, "deletion_checked")),
    }

    def act() -> object:
        if not typed["scopes"]:
            raise InvalidInput("invalid_scope", "Tick the restricted scopes the letter of validation covers.")
        try:
            tier = int(typed["tier"])
        except ValueError:
            raise InvalidInput("invalid_tier", "Choose the assessment's tier (1, 2 or 3).") from None
        try:
            letter = dt.date.fromisoformat(typed["letter_date"])
        except ValueError:
            raise InvalidInput(
                "invalid_date", "Give the letter of validation's date as YYYY-MM-DD."
            ) from None
        return console.review.record_assessment(
            project,
            assessor=typed["assessor"],
            tier=tier,
            letter_date=letter,
            scopes=typed["scopes"],
            deletion_checked=typed["deletion_checked"],
        )

    return _act(console, project, "assessed", act, {"assessment": typed})
