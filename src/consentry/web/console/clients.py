"""A project's OAuth clients (VERIFY-1, VERIFY-8): list, create, rotate, disable, enable, delete.

A secret is shown once, on the page that answers the post that made it; only its keyed hash is
stored. Rotating and deleting ask for a confirmation first (a page, not a script dialog).
A deleted client is hidden here; the domain keeps it 30 days before the janitor removes it.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter
from starlette.responses import HTMLResponse, Response

from consentry.domain.clients.service import CLIENT_TYPES, CONFIDENTIAL
from consentry.domain.permissions import Permission
from consentry.errors import DomainError, InvalidInput, NotFound
from consentry.storage.tables import Client
from consentry.web.console.common import Form, failed, lines, page, redirect, text
from consentry.web.deps import Csrf, ProjectAccess, require

router = APIRouter()

View = Annotated[ProjectAccess, require(Permission.PROJECT_VIEW)]
Edit = Annotated[ProjectAccess, require(Permission.PROJECT_EDIT)]
Secrets = Annotated[ProjectAccess, require(Permission.CLIENT_SECRET)]
TAB = "clients"
BASE = "/console/projects/{project}/clients"

TYPES = {
    "web": "Web application (server-side, has a secret)",
    "installed": "Installed or mobile app (PKCE, no secret)",
    "device": "TV or limited-input device (no secret)",
    "service": "Service (client credentials, has a secret)",
}
assert set(TYPES) == set(CLIENT_TYPES)


def _client(access: ProjectAccess, client_id: str, need: Permission) -> Client:
    """A live client of *this* project: another project's client id is not found here."""
    client = access.console.clients.get(client_id, need)
    if client.project_id != access.project.id or client.deleted_at is not None:
        raise NotFound("client", f"no client {client_id!r} in this project")
    return client


def _list(access: ProjectAccess, **context: Any) -> HTMLResponse:
    context.setdefault("form", {"name": "", "client_type": "web", "redirect_uris": ""})
    return page(
        access,
        "clients.html",
        tab=TAB,
        clients=access.console.clients.list(access.project),
        types=TYPES,
        confidential=CONFIDENTIAL,
        **context,
    )


@router.get(BASE)
def clients_page(access: View, done: str = "") -> HTMLResponse:
    return _list(access, done=done)


@router.post(BASE)
def create_client(_: Csrf, access: Secrets, form: Form) -> Response:
    typed = {k: text(form, k) for k in ("name", "client_type", "redirect_uris")}
    try:
        if len(typed["name"]) > 200:
            raise InvalidInput("invalid_name", "A client name is at most 200 characters.")
        new = access.console.clients.create(
            access.project,
            typed["client_type"],
            name=typed["name"].strip() or None,
            redirect_uris=lines(typed["redirect_uris"]),
        )
    except DomainError as exc:
        return failed(access, exc, lambda **kw: _list(access, **kw), form=typed)
    return page(
        access, "client_secret.html", tab=TAB, client=new.client, secret=new.client_secret, created=True
    )


@router.get(BASE + "/{client_id}/rotate")
def confirm_rotate(access: Secrets, client_id: str) -> HTMLResponse:
    client = _client(access, client_id, Permission.CLIENT_SECRET)
    return page(access, "client_confirm.html", tab=TAB, client=client, action="rotate")


@router.post(BASE + "/{client_id}/rotate")
def rotate(_: Csrf, access: Secrets, client_id: str) -> Response:
    client = _client(access, client_id, Permission.CLIENT_SECRET)
    try:
        secret = access.console.clients.rotate_secret(client.client_id)
    except DomainError as exc:
        return failed(access, exc, lambda **kw: _list(access, **kw))
    return page(access, "client_secret.html", tab=TAB, client=client, secret=secret, created=False)


@router.post(BASE + "/{client_id}/disable")
def disable(_: Csrf, access: Edit, client_id: str, form: Form) -> Response:
    client = _client(access, client_id, Permission.PROJECT_EDIT)
    disabled = text(form, "disabled") != "false"
    try:
        access.console.clients.set_disabled(client.client_id, disabled)
    except DomainError as exc:
        return failed(access, exc, lambda **kw: _list(access, **kw))
    return redirect(access.project.name, TAB, done="client_disabled" if disabled else "client_enabled")


@router.get(BASE + "/{client_id}/delete")
def confirm_delete(access: Edit, client_id: str) -> HTMLResponse:
    client = _client(access, client_id, Permission.PROJECT_EDIT)
    return page(access, "client_confirm.html", tab=TAB, client=client, action="delete")


@router.post(BASE + "/{client_id}/delete")
def delete(_: Csrf, access: Edit, client_id: str) -> Response:
    client = _client(access, client_id, Permission.PROJECT_EDIT)
    try:
        access.console.clients.delete(client.client_id)
    except DomainError as exc:
        return failed(access, exc, lambda **kw: _list(access, **kw))
    return redirect(access.project.name, TAB, done="client_deleted")
