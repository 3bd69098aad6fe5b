"""GET /apps/{client_id}/logo.png: the app's logo for the consent screen and the account page.

Public, like the consent screen that shows it. Only the server-side re-encoded PNG is served
(domain/projects/logo.py), always as image/png with nosniff, so an upload can never be read
as a page. Cached briefly and revalidated by ETag: a logo change shows within minutes.
"""

from __future__ import annotations

import hashlib

from fastapi import APIRouter, Request
from starlette.concurrency import run_in_threadpool
from starlette.responses import Response

from consentry.domain.consent.disclosure_logo import app_logo
from consentry.web.runtime import runtime

router = APIRouter(include_in_schema=False)

#: Seconds a browser may reuse the logo without asking again.
MAX_AGE = 300
#: Longer than any client id the console issues; anything longer is not one.
MAX_CLIENT_ID = 100


def _not_found() -> Response:
    return Response(
        "No logo.", status_code=404, media_type="text/plain", headers={"Cache-Control": "no-store"}
    )


@router.api_route("/apps/{client_id}/logo.png", methods=["GET", "HEAD"])
async def logo(request: Request, client_id: str) -> Response:
    if not client_id or len(client_id) > MAX_CLIENT_ID:
        return _not_found()
    db = runtime(request).ctx.db

    def work() -> bytes | None:
        with db.unit_of_work() as session:
            return app_logo(session, client_id)

    png = await run_in_threadpool(work)
    if png is None:
        return _not_found()
    etag = '"' + hashlib.sha256(png).hexdigest()[:32] + '"'
    headers = {
        "Cache-Control": f"public, max-age={MAX_AGE}",
        "ETag": etag,
        "X-Content-Type-Options": "nosniff",
        "Content-Disposition": 'inline; filename="logo.png"',
    }
    if etag in [t.strip() for t in request.headers.get("if-none-match", "").split(",")]:
        return Response(status_code=304, headers=headers)
    body = b"" if request.method == "HEAD" else png
    headers["Content-Length"] = str(len(png))
    return Response(body, media_type="image/png", headers=headers)
