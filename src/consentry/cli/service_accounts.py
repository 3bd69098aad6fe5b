"""``consentry client keys | key-add | key-disable | key-enable | key-delete`` (AUTH2-5).

Added to the ``client`` app of cli/clients.py; domain/service_accounts/ does the work. The
service account itself is disabled, deleted and restored with ``consentry client disable |
delete | restore`` like every client.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table

from consentry.cli.clients import client_app
from consentry.cli.output import console, emit
from consentry.cli.services import JsonOpt, services, when
from consentry.domain.service_accounts.service import ServiceAccounts, key_summary
from consentry.errors import InvalidInput


@contextmanager
def _accounts(as_json: bool) -> Iterator[ServiceAccounts]:
    with services(as_json) as sv:
        yield ServiceAccounts(sv.clients, sv.settings.issuer_url)


@client_app.command("keys", help="A service account's address and keys (kid, origin, state).")
def client_keys(client_id: str, json_: JsonOpt = False) -> None:
    with _accounts(json_) as accounts:
        client, rows = accounts.keys(client_id)
        out: dict[str, Any] = {
            "client_id": client.client_id,
            "client_email": client.service_email,
            "keys": [key_summary(k) for k in rows],
        }
    if json_:
        emit(out, True)
        return
    table = Table("kid", "origin", "state", "created", title=f"Keys of {out['client_email'] or client_id}")
    for k in out["keys"]:
        table.add_row(k["kid"], k["origin"], k["state"], when(k["created_at"]))
    console.print(table)


@client_app.command(
    "key-add",
    help="Add a key: generated (the JSON key file with the private key is printed once, never "
    "stored) or, with --public-key, an uploaded RSA public key (PEM, certificate or JWK).",
)
def client_key_add(
    client_id: str,
    public_key: Annotated[
        Path | None, typer.Option("--public-key", help="File with a PEM public key, a certificate or a JWK.")
    ] = None,
    json_: JsonOpt = False,
) -> None:
    with _accounts(json_) as accounts:
        text = None
        if public_key is not None:
            try:
                text = public_key.read_text()
            except (OSError, UnicodeDecodeError):
                raise InvalidInput("invalid_public_key", f"cannot read {public_key}") from None
        new = accounts.add_key(client_id, text)
        out: dict[str, Any] = {"client_id": client_id, **key_summary(new.key)}
        if new.key_file is not None:
            out["key_file"] = new.key_file
    emit(out, json_)


def _set_disabled(client_id: str, kid: str, disabled: bool, json_: bool) -> None:
    with _accounts(json_) as accounts:
        out = {"client_id": client_id, **key_summary(accounts.set_key_disabled(client_id, kid, disabled))}
    emit(out, json_)


@client_app.command("key-disable", help="Assertions signed with this key are refused (until key-enable).")
def client_key_disable(client_id: str, kid: str, json_: JsonOpt = False) -> None:
    _set_disabled(client_id, kid, True, json_)


@client_app.command("key-enable", help="Accept assertions signed with a disabled key again.")
def client_key_enable(client_id: str, kid: str, json_: JsonOpt = False) -> None:
    _set_disabled(client_id, kid, False, json_)


@client_app.command("key-delete", help="Delete a key for good: its key file stops working.")
def client_key_delete(client_id: str, kid: str, json_: JsonOpt = False) -> None:
    with _accounts(json_) as accounts:
        accounts.delete_key(client_id, kid)
    emit({"client_id": client_id, "kid": kid, "deleted": True}, json_)
