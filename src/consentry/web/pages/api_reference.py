"""``/api/docs``: a readable API reference rendered from our own OpenAPI document.

Swagger UI would need a CDN (blocked by our CSP and absent offline), so the page is
server-rendered from ``app.openapi()``; the raw document stays at ``/openapi.json``.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from starlette.responses import Response

from consentry.web.render import render

router = APIRouter(include_in_schema=False)
METHODS = ("get", "post", "put", "patch", "delete")


@router.get("/api/docs")
async def api_reference(request: Request) -> Response:
    spec: dict[str, Any] = request.app.openapi()
    sections: dict[str, list[dict[str, Any]]] = {}
    for path, item in spec["paths"].items():
        for method in METHODS:
            op = item.get(method)
            if op is None:
                continue
            tag = (op.get("tags") or ["protocol"])[0]
            sections.setdefault(tag, []).append(
                {
                    "method": method.upper(),
                    "path": path,
                    "summary": op.get("summary", ""),
                    "scopes": op.get("x-consentry-scopes", []),
                    "params": [
                        p["name"] for p in op.get("parameters", []) if p.get("in") in ("path", "query")
                    ],
                }
            )
    return render("api_reference.html", sections=sorted(sections.items()), title="API reference")
