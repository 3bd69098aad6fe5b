"""Domain-wide delegation in the organization admin console (AUTH2-5): which service accounts
may act for the organization's members, in which scopes. domain/orgs/delegation.py does the
work (and takes back delegated tokens an entry no longer covers).
"""

from __future__ import annotations

from itertools import groupby
from typing import Any

from fastapi import APIRouter
from starlette.responses import HTMLResponse, Response

from consentry.domain.orgs import delegation
from consentry.errors import DomainError
from consentry.web.deps import Csrf
from consentry.web.org_admin.common import Form, OrgAdmin, OrgConsole, page, redirect, strings, text

router = APIRouter(include_in_schema=False)


def _page(oc: OrgConsole, typed: dict[str, Any] | None = None, **kw: Any) -> HTMLResponse:
    scopes = sorted(oc.catalogue.by_name.values(), key=lambda s: (s.api != "sign-in", s.api, s.name))
    groups = [(api, list(items)) for api, items in groupby(scopes, key=lambda s: s.api)]
    return page(
        oc,
        "org_admin/delegation.html",
        "delegation",
        entries=delegation.delegations(oc.db, oc.org.domain),
        groups=groups,
        typed=typed or {"client_id": "", "scopes": []},
        **kw,
    )


@router.get("/admin/delegation")
def delegation_page(oc: OrgAdmin, done: str = "") -> HTMLResponse:
    return _page(oc, done=done)


@router.post("/admin/delegation")
def delegate(_: Csrf, oc: OrgAdmin, form: Form) -> Response:
    """Add an entry, or replace the scopes of the service account's entry."""
    client_id, scopes = text(form, "client_id", 100).strip(), strings(form, "scope", 100)
    typed: dict[str, Any] = {"client_id": client_id, "scopes": scopes}
    try:
        delegation.delegate(
            oc.db,
            org_domain=oc.org.domain,
            client_id=client_id,
            scopes=scopes,
            actor=oc.actor,
            channel=oc.channel,
        )
    except DomainError as exc:
        oc.db.rollback()
        return _page(oc, typed, error=exc)
    return redirect("/admin/delegation", "delegated")


@router.post("/admin/delegation/remove")
def undelegate(_: Csrf, oc: OrgAdmin, form: Form) -> Response:
    try:
        delegation.undelegate(
            oc.db,
            org_domain=oc.org.domain,
            client_id=text(form, "client_id", 100).strip(),
            actor=oc.actor,
            channel=oc.channel,
        )
    except DomainError as exc:
        oc.db.rollback()
        return _page(oc, error=exc)
    return redirect("/admin/delegation", "undelegated")
