"""The public scope reference page: every scope, grouped by API and class (SCOPE-1)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from starlette.responses import Response

from consentry.domain.scopes.catalogue import APIS, CLASSES, data_type_labels
from consentry.web.render import render
from consentry.web.runtime import runtime

router = APIRouter(include_in_schema=False)


@router.get("/scopes")
async def scopes_page(request: Request) -> Response:
    catalogue = runtime(request).ctx.catalogue
    groups = [
        (
            api,
            [
                (cls, [s for s in catalogue.by_uri.values() if s.api == api and s.scope_class == cls])
                for cls in CLASSES
            ],
        )
        for api in APIS
    ]
    return render(
        "scopes.html",
        groups=groups,
        operations=catalogue.operations,
        labels=data_type_labels(),
        title="Scopes",
    )
