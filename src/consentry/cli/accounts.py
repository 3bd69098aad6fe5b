"""``consentry org`` and ``consentry user``."""

from __future__ import annotations

import sys
from typing import Annotated

import typer

from consentry.cli.context import unit_of_work
from consentry.cli.output import emit, fail
from consentry.domain.accounts import service

org_app = typer.Typer(help="Organizations (a domain).", no_args_is_help=True)
user_app = typer.Typer(help="Users.", no_args_is_help=True)
JsonOpt = Annotated[bool, typer.Option("--json", help="Print one JSON object.")]


@org_app.command("add", help="Add an organization by its domain.")
def org_add(
    domain: str,
    name: Annotated[str | None, typer.Option(help="Display name.")] = None,
    json_: JsonOpt = False,
) -> None:
    with unit_of_work(json_) as (session, _s, _h):
        org = service.add_org(session, domain, name)
        out = {"domain": org.domain, "name": org.name}
    emit(out, json_)


@user_app.command("add", help="Add a user; the password is read from standard input.")
def user_add(
    email: str,
    password_stdin: Annotated[
        bool, typer.Option("--password-stdin", help="Read the password from stdin.")
    ] = False,
    org: Annotated[str | None, typer.Option(help="Organization domain.")] = None,
    role: Annotated[str, typer.Option(help="user, admin (org admin) or reviewer.")] = "user",
    name: Annotated[str, typer.Option(help="Display name.")] = "",
    json_: JsonOpt = False,
) -> None:
    if not password_stdin:
        fail("usage", "pass --password-stdin and the password on standard input", json_)
    password = sys.stdin.readline().rstrip("\r\n")
    with unit_of_work(json_) as (session, _s, _h):
        user = service.add_user(session, email, password, name=name, org_domain=org, role=role)
        out = {"email": user.email, "sub": user.sub, "org": org, "role": user.role}
    emit(out, json_)
