"""``/api/v1``: a project's OAuth clients (VERIFY-8): list, create, show, rotate, disable, delete."""

from __future__ import annotations

from typing import Annotated

from fastapi import Query, Response

from consentry.domain.permissions import Permission
from consentry.storage.tables import Client
from consentry.web.api import models as m
from consentry.web.api.console_common import (
    NO_STORE,
    SecretKeeper,
    Viewer,
    Write,
    client_of,
    client_out,
    console_router,
)
from consentry.web.deps import ConsoleDep

router = console_router()


# --- OAuth clients (VERIFY-8) ----------------------------------------------------------------------


@router.get("/projects/{project}/clients", response_model=m.ClientList, summary="The project's clients")
def list_clients(
    access: Viewer, deleted: bool = Query(default=False, description="List deleted (restorable) ones")
) -> m.ClientList:
    rows = access.console.clients.list(access.project, deleted=deleted)
    return m.ClientList(clients=[client_out(c) for c in rows])


@router.post(
    "/projects/{project}/clients",
    response_model=m.NewClientOut,
    status_code=201,
    summary="Create a client; a confidential client's secret is in this answer only",
)
def create_client(body: m.ClientCreate, response: Response, _: Write, access: SecretKeeper) -> m.NewClientOut:
    new = access.console.clients.create(
        access.project, body.type, name=body.name or None, redirect_uris=list(body.redirect_uris)
    )
    response.headers.update(NO_STORE)
    return m.NewClientOut(client=client_out(new.client), client_secret=new.client_secret)


@router.get("/clients/{client_id}", response_model=m.ClientOut, summary="A client")
def get_client(client: Annotated[Client, client_of(Permission.PROJECT_VIEW)]) -> m.ClientOut:
    return client_out(client)


@router.post(
    "/clients/{client_id}/rotate-secret",
    response_model=m.SecretOut,
    responses=m.CONFLICT,
    summary="A new secret, shown once; the old one stops working at once",
)
def rotate_secret(
    response: Response,
    _: Write,
    client: Annotated[Client, client_of(Permission.CLIENT_SECRET)],
    console: ConsoleDep,
) -> m.SecretOut:
    secret = console.clients.rotate_secret(client.client_id)
    response.headers.update(NO_STORE)
    return m.SecretOut(client_id=client.client_id, client_secret=secret)


@router.post(
    "/clients/{client_id}/disable",
    response_model=m.ClientOut,
    summary="Disable: no new tokens, and the tokens it holds are revoked",
)
def disable_client(
    _: Write, client: Annotated[Client, client_of(Permission.PROJECT_EDIT)], console: ConsoleDep
) -> m.ClientOut:
    return client_out(console.clients.set_disabled(client.client_id, True))


@router.post(
    "/clients/{client_id}/enable", response_model=m.ClientOut, responses=m.CONFLICT, summary="Enable again"
)
def enable_client(
    _: Write, client: Annotated[Client, client_of(Permission.PROJECT_EDIT)], console: ConsoleDep
) -> m.ClientOut:
    return client_out(console.clients.set_disabled(client.client_id, False))


@router.delete(
    "/clients/{client_id}",
    response_model=m.ClientOut,
    responses=m.CONFLICT,
    summary="Delete: disabled, tokens revoked, hidden; restorable for 30 days",
)
def delete_client(
    _: Write, client: Annotated[Client, client_of(Permission.PROJECT_EDIT)], console: ConsoleDep
) -> m.ClientOut:
    return client_out(console.clients.delete(client.client_id))


@router.post(
    "/clients/{client_id}/restore",
    response_model=m.ClientOut,
    responses=m.CONFLICT,
    summary="Undo a delete within 30 days; the client comes back disabled",
)
def restore_client(
    _: Write, client: Annotated[Client, client_of(Permission.PROJECT_EDIT)], console: ConsoleDep
) -> m.ClientOut:
    return client_out(console.clients.restore(client.client_id))
