"""GET /help/data: how users see, revoke and delete what apps hold (CONSENT-7).

Linked from every consent screen, and public, so a user can read it before signing in.
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from starlette.responses import Response

from consentry.domain.consent.disclosure import HELP_URL
from consentry.web.render import render

router = APIRouter(include_in_schema=False)


@router.get(HELP_URL)
async def help_data(request: Request) -> Response:
    operator = request.app.state.settings.operator_name
    return render("help_data.html", operator=operator)
