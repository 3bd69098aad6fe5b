"""What every page of the organization admin console shares: who may open it, the page frame,
the post/redirect/get path and the failure path (as in the developer console, web/console/).

The console is the signed-in admin's own organization (``/admin``, no domain in the address): an
admin administers exactly one. Anyone else gets 403 before a view runs.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import Depends, Path, Request
from sqlalchemy.orm import Session
from starlette.datastructures import FormData
from starlette.responses import HTMLResponse, RedirectResponse

from consentry.domain.audit.tags import Channel
from consentry.domain.orgs import access_requests, admin
from consentry.domain.scopes.catalogue import Catalogue
from consentry.errors import DomainError, http_status
from consentry.storage.tables import Organization
from consentry.web.console.common import when
from consentry.web.deps import Current, CurrentUser, UnitOfWork
from consentry.web.render import render
from consentry.web.runtime import runtime

#: The sections, in the order of the tab bar: (slug, label).
TABS: tuple[tuple[str, str], ...] = (
    ("", "Overview"),
    ("members", "Members"),
    ("apps", "Apps"),
    ("policy", "Policy"),
    ("delegation", "Delegation"),
    ("requests", "Requests"),
)

#: What a successful post says on the page it redirects to (``?done=<key>``).
DONE = {
    "access": "Saved. It applies from the next sign-in; access the new setting refuses was taken back.",
    "installed": "Installed for everyone in the organization: trusted, and no unverified-app screen here.",
    "uninstalled": "Uninstalled. The app stays trusted until you change its access.",
    "policy": "Policy saved. It applies from the next request; access it refuses was taken back.",
    "role": "Role changed.",
    "delegated": "Delegation saved. The service account may act for your members in these scopes.",
    "undelegated": "Delegation removed. Tokens it gave no longer work.",
    "approved": "Approved. The member was told by email and can use the app now.",
    "denied": "Denied. The member was told by email.",
}


@dataclass
class OrgConsole:
    """The signed-in admin, their organization, and what the domain services need."""

    current: Current
    db: Session
    org: Organization
    catalogue: Catalogue
    issuer: str

    @property
    def actor(self) -> str:
        return self.current.user.email

    channel = Channel.WEB


def _org_console(request: Request, db: UnitOfWork, current: CurrentUser) -> OrgConsole:
    rt = runtime(request)
    org = admin.own_org(db, current.user)
    return OrgConsole(current, db, org, Catalogue(rt.ctx.issuer), rt.ctx.issuer)


OrgAdmin = Annotated[OrgConsole, Depends(_org_console)]


async def _form(request: Request) -> FormData:
    """The posted form (the CSRF check read it already; Starlette keeps it)."""
    return await request.form()


Form = Annotated[FormData, Depends(_form)]
#: A row id in a path: bounded, so a huge number is a 400, not a database error (PostgreSQL int4).
RowId = Annotated[int, Path(ge=1, le=2**31 - 1)]


def text(form: FormData, name: str, limit: int = 2000) -> str:
    value = form.get(name)
    return value[:limit] if isinstance(value, str) else ""


def strings(form: FormData, name: str, limit: int = 100) -> list[str]:
    return [v[:300] for v in form.getlist(name)[:limit] if isinstance(v, str)]


def page(
    oc: OrgConsole,
    template: str,
    tab: str,
    *,
    status_code: int = 200,
    error: DomainError | None = None,
    done: str = "",
    **context: Any,
) -> HTMLResponse:
    """A page of the console, in its frame: the org's name, the tabs, the notice or the error."""
    pending = len(access_requests.listing(oc.db, oc.org.id, status="pending"))
    return render(
        template,
        status_code=http_status(error) if error else status_code,
        org=oc.org,
        user=oc.current.user,
        csrf=oc.current.csrf,
        tabs=TABS,
        tab=tab,
        pending=pending,
        notice=DONE.get(done, ""),
        error=error,
        when=when,
        **context,
    )


def redirect(path: str, done: str) -> RedirectResponse:
    """Post/redirect/get: the page is reloaded from what committed, with a notice."""
    return RedirectResponse(f"{path}?done={done}", status_code=303)


def describe(event: dict[str, Any]) -> str:
    """One line for an audit event of the organization, as the overview lists them."""
    d = event.get("data") or {}
    tag = event.get("tag", "")
    app = d.get("app") or f"app {d.get('project_id', '')}"
    if tag == "org:app:access":
        return f"{app}: {d.get('access') or 'not configured'}"
    if tag == "org:app:install":
        return f"{app}: {'installed for everyone' if d.get('installed') else 'uninstalled'}"
    if tag == "org:policy:update":
        return "Policy: " + ", ".join(_policy_words(k, v) for k, v in d.items() if k in _POLICY_KEYS)
    if tag == "org:member:role":
        return f"{d.get('email')}: {'administrator' if d.get('role') == 'admin' else 'member'}"
    if tag == "org:delegation:set":
        return f"Delegation to {d.get('client_id')}: {', '.join(d.get('scopes') or [])}"
    if tag == "org:delegation:remove":
        return f"Delegation to {d.get('client_id')} removed"
    if tag == "org:access-request:decide":
        return f"Request #{d.get('request')} {d.get('decision')}"
    return tag


_POLICY_KEYS = ("unconfigured", "restricted_apis", "refusal_message", "internal_approval")


def _policy_words(key: str, value: Any) -> str:
    if key == "unconfigured":
        return f"unconfigured apps {value}"
    if key == "restricted_apis":
        return "restricted APIs " + (", ".join(value) if value else "none")
    if key == "refusal_message":
        return "message changed"
    return "internal apps need approval" if value else "internal apps need no approval"
