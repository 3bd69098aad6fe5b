"""``consentry client``: create, list, show, rotate-secret, disable, enable, delete (VERIFY-8)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from consentry.cli.output import console, emit
from consentry.cli.services import JsonOpt, clients_table, services, when
from consentry.domain.clients.service import RESTORE_DAYS, client_summary
from consentry.domain.keys.envelope import Envelope
from consentry.domain.service_accounts.service import ServiceAccounts
from consentry.errors import InvalidInput
from consentry.storage.tables import Client

client_app = typer.Typer(help="OAuth clients.", no_args_is_help=True)


@client_app.command("create", help="Create a client; a secret is printed once, never stored in clear.")
def client_create(
    project: str,
    type_: Annotated[str, typer.Option("--type", help="web, installed, device, service or oauth1.")],
    redirect_uri: Annotated[
        list[str] | None, typer.Option("--redirect-uri", help="Exact redirect URI (repeat).")
    ] = None,
    name: Annotated[str | None, typer.Option(help="Display name shown on the consent screen.")] = None,
    token_format: Annotated[str, typer.Option(help="Access tokens: opaque or jwt.")] = "opaque",
    id_token_alg: Annotated[str, typer.Option(help="ID token signature: RS256 or ES256.")] = "RS256",
    can_introspect: Annotated[
        bool,
        typer.Option(
            help="A resource server (e.g. an API using consentry.guard) that may introspect any token."
        ),
    ] = False,
    domain: Annotated[
        str | None, typer.Option(help="oauth1: the app's registered domain (example.com).")
    ] = None,
    certificate: Annotated[
        Path | None,
        typer.Option(help="oauth1: PEM X.509 certificate or RSA public key, for RSA-SHA1 signatures."),
    ] = None,
    json_: JsonOpt = False,
) -> None:
    if type_ == "oauth1":
        _create_consumer(project, name, domain, certificate, json_)
        return
    with services(json_) as sv:
        if domain is not None or certificate is not None:
            raise InvalidInput("invalid_option", "--domain and --certificate are for --type oauth1 only")
        new = sv.clients.create(
            sv.projects.get(project),
            type_,
            name=name,
            redirect_uris=redirect_uri,
            access_token_format=token_format,
            id_token_alg=id_token_alg,
            can_introspect=can_introspect,
        )
        out: dict[str, Any] = {
            "client_id": new.client.client_id,
            "client_secret": new.client_secret,
            "type": type_,
            "redirect_uris": new.client.redirect_uris,
            "name": new.client.name,
            "can_introspect": new.client.can_introspect,
        }
        if type_ == "service":  # a service account: its first key file, printed once (AUTH2-5)
            accounts = ServiceAccounts(sv.clients, sv.settings.issuer_url)
            out["key_file"] = accounts.add_key(new.client.client_id).key_file
    emit(out, json_)


def _create_consumer(
    project: str, name: str | None, domain: str | None, certificate: Path | None, json_: bool
) -> None:
    """An OAuth 1.0a consumer: the consumer key is the client_id, the secret is printed once."""
    with services(json_) as sv:
        if not domain:
            raise InvalidInput("invalid_domain", "an oauth1 consumer needs --domain (example.com)")
        pem = None
        if certificate is not None:
            try:
                pem = certificate.read_text()
            except (OSError, UnicodeDecodeError):
                raise InvalidInput("invalid_certificate", f"cannot read {certificate}") from None
        new = sv.clients.create_consumer(
            sv.projects.get(project),
            Envelope(sv.settings.secret_key),
            domain=domain,
            name=name,
            certificate=pem,
        )
        out: dict[str, Any] = {
            "client_id": new.client.client_id,
            "client_secret": new.client_secret,
            "type": "oauth1",
            "redirect_uris": [],
            "name": new.client.name,
            "can_introspect": False,
            "domain": new.client.legacy_domain,
            "certificate": new.client.certificate is not None,
        }
    emit(out, json_)


@client_app.command("list", help="A project's OAuth clients (--deleted: those deleted in the last 30 days).")
def client_list(
    project: str,
    deleted: Annotated[bool, typer.Option("--deleted", help="List deleted clients instead.")] = False,
    json_: JsonOpt = False,
) -> None:
    with services(json_) as sv:
        row = sv.projects.get(project)
        out: dict[str, Any] = {
            "project": row.name,
            "clients": [client_summary(c) for c in sv.clients.list(row, deleted=deleted)],
        }
    if json_:
        emit(out, True)
        return
    console.print(clients_table(out["clients"]))


@client_app.command("show", help="One client: type, redirect URIs, state, project.")
def client_show(client_id: str, json_: JsonOpt = False) -> None:
    with services(json_) as sv:
        out: dict[str, Any] = client_summary(sv.clients.get(client_id))
    if json_:
        emit(out, True)
        return
    out["created_at"] = when(out["created_at"])
    out["deleted_at"] = when(out["deleted_at"])
    emit(out, False, title=client_id)


@client_app.command("rotate-secret", help="A new secret, printed once; the old one stops working at once.")
def client_rotate_secret(client_id: str, json_: JsonOpt = False) -> None:
    with services(json_) as sv:
        secret = sv.clients.rotate_secret(client_id, Envelope(sv.settings.secret_key))
    emit({"client_id": client_id, "client_secret": secret}, json_)


def _state(client: Client) -> dict[str, Any]:
    return {"client_id": client.client_id, "project": client.project.name, "disabled": client.disabled}


@client_app.command("disable", help="The client gets no token; the tokens it holds stop working.")
def client_disable(client_id: str, json_: JsonOpt = False) -> None:
    with services(json_) as sv:
        out = _state(sv.clients.set_disabled(client_id, True))
    emit(out, json_)


@client_app.command(
    "enable", help="Let a disabled client get tokens again (its revoked tokens stay revoked)."
)
def client_enable(client_id: str, json_: JsonOpt = False) -> None:
    with services(json_) as sv:
        out = _state(sv.clients.set_disabled(client_id, False))
    emit(out, json_)


@client_app.command(
    "delete", help=f"Delete a client: disabled, tokens revoked, restorable for {RESTORE_DAYS} days."
)
def client_delete(client_id: str, json_: JsonOpt = False) -> None:
    with services(json_) as sv:
        client = sv.clients.delete(client_id)
        deleted = client.deleted_at or 0
        out = {
            **_state(client),
            "deleted_at": deleted,
            "restorable_until": deleted + RESTORE_DAYS * 86400,
        }
    emit(out, json_)


@client_app.command(
    "restore", help="Undo a delete within 30 days; the client comes back disabled (`client enable` it)."
)
def client_restore(client_id: str, json_: JsonOpt = False) -> None:
    with services(json_) as sv:
        out = _state(sv.clients.restore(client_id))
    emit(out, json_)


# --- scopes ------------------------------------------------------------------------------------------
