"""Overdue deletion requests for reviewers (DATA-2): users asked an app to delete their data and
the app has not acknowledged it within ``CONSENTRY_DELETION_OVERDUE_DAYS``.

Read-only: the reviewer follows up with the developer (the support address and the endpoint that
fails are shown) and, if the app ignores its users, acts on it as on any rule it breaks. The
path is two segments deep so it never meets ``/review/{project}``.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Request
from starlette.responses import HTMLResponse

from consentry.domain.events import deletion
from consentry.domain.permissions import Permission
from consentry.web.deps import Console, require_platform
from consentry.web.render import render
from consentry.web.review import listing
from consentry.web.review.pages import review_url
from consentry.web.runtime import runtime

router = APIRouter(include_in_schema=False)

Reviewer = Annotated[Console, require_platform(Permission.REVIEW)]
PATH = "/review/deletions/overdue"


@router.get(PATH)
def overdue_deletions(console: Reviewer, request: Request) -> HTMLResponse:
    days = runtime(request).ctx.settings.deletion_overdue_days
    return render(
        "review/deletions.html",
        items=deletion.overdue(console.db, days),
        waiting=deletion.waiting(console.db),
        days=days,
        day=listing.day,
        review_url=review_url,
        user=console.current.user,
    )
