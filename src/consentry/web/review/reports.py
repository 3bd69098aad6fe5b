"""Users' reports of apps in the reviewer console: the open ones, and closing one (LIMIT-6).

Like every review view, these need the platform's REVIEW permission, and the action carries
the CSRF field. The path is two segments deep so it never meets ``/review/{project}``.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter
from starlette.responses import HTMLResponse, RedirectResponse, Response

from consentry.domain.consent import reports
from consentry.domain.permissions import Permission
from consentry.errors import DomainError, http_status
from consentry.web.deps import Console, Csrf, require_platform
from consentry.web.render import render
from consentry.web.review import listing
from consentry.web.review.pages import review_url

router = APIRouter(include_in_schema=False)

Reviewer = Annotated[Console, require_platform(Permission.REVIEW)]
OPEN = "/review/reports/open"
DONE = {"closed": "Report closed. It left the queue; the audit log keeps who closed it."}


def _page(
    console: Console, *, status_code: int = 200, error: DomainError | None = None, done: str = ""
) -> HTMLResponse:
    return render(
        "review/reports.html",
        status_code=status_code,
        reports=listing.open_reports(console.db),
        error=error,
        notice=DONE.get(done, ""),
        old_after=listing.OLD_AFTER_DAYS,
        csrf=console.current.csrf,
        day=listing.day,
        review_url=review_url,
        user=console.current.user,
    )


@router.get(OPEN)
def open_reports(console: Reviewer, done: str = "") -> HTMLResponse:
    return _page(console, done=done)


@router.post("/review/reports/{report_id}/close")
def close(_: Csrf, report_id: int, console: Reviewer) -> Response:
    """The reviewer dealt with the report; a second close (another reviewer was quicker) says so."""
    try:
        reports.close(
            console.db, report_id, actor=console.current.actor.email, channel=console.current.actor.channel
        )
    except DomainError as exc:
        console.db.rollback()
        return _page(console, status_code=http_status(exc), error=exc)
    return RedirectResponse(OPEN + "?done=closed", status_code=303)
