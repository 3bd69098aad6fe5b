"""``consentry org`` and ``consentry user``: the CLI only parses and prints; the domain does the work."""

from __future__ import annotations

import getpass
import sys
from dataclasses import asdict
from datetime import UTC, datetime
from typing import Annotated, Any

import typer
from rich.table import Column, Table
from sqlalchemy.orm import Session

from consentry.cli import two_step
from consentry.cli.context import unit_of_work
from consentry.cli.output import console, emit, fail
from consentry.domain.accounts import service
from consentry.domain.events.emit import emit as emit_event
from consentry.settings import Settings

org_app = typer.Typer(help="Organizations (a domain).", no_args_is_help=True)
user_app = typer.Typer(help="Users.", no_args_is_help=True)
JsonOpt = Annotated[bool, typer.Option("--json", help="Print one JSON object.")]
PasswordStdin = Annotated[
    bool, typer.Option("--password-stdin", help="Read the password from stdin (never an argument).")
]
#: Who the audit log names for a change made here.
ACTOR = "cli"


def _read_password(password_stdin: bool, as_json: bool) -> str:
    """The password from standard input: a prompt without echo on a terminal, else its first line."""
    if not password_stdin:
        fail("usage", "pass --password-stdin and the password on standard input", as_json)
    if sys.stdin.isatty():
        return getpass.getpass("Password: ")
    return sys.stdin.readline().rstrip("\r\n")


def _tell_apps(session: Session, settings: Settings, email: str, event: str) -> None:
    """Queue the RISC ``event`` for the apps the user shared their identity with (DATA-4)."""
    user = service.require_user(session, email)
    emit_event(session, event=event, user_id=user.id, issuer=settings.issuer_url)


def _when(ts: int | None) -> str:
    return datetime.fromtimestamp(ts, UTC).strftime("%Y-%m-%d %H:%M:%SZ") if ts else "-"


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
    password_stdin: PasswordStdin = False,
    org: Annotated[str | None, typer.Option(help="Organization domain.")] = None,
    role: Annotated[str, typer.Option(help="user, admin (org admin) or reviewer.")] = "user",
    name: Annotated[str, typer.Option(help="Display name.")] = "",
    json_: JsonOpt = False,
) -> None:
    password = _read_password(password_stdin, json_)
    with unit_of_work(json_) as (session, _s, _h):
        user = service.add_user(session, email, password, name=name, org_domain=org, role=role)
        out = {"email": user.email, "sub": user.sub, "org": org, "role": user.role}
    emit(out, json_)


# ISSUE-11 cli: list, show, set-password, disable, enable, delete.


@user_app.command("list", help="Users by email, optionally those of one organization.")
def user_list(
    org: Annotated[str | None, typer.Option(help="Only this organization's users (its domain).")] = None,
    limit: Annotated[int, typer.Option(help="At most this many (1 to 1000).")] = 100,
    json_: JsonOpt = False,
) -> None:
    with unit_of_work(json_) as (session, _s, _h):
        found = service.list_users(session, org=org, limit=limit)
        out: dict[str, Any] = {"users": [asdict(u) for u in found.users], "more": found.more}
    if json_:
        emit(out, True)
        return
    more = f"more than {limit}: raise --limit" if found.more else None
    table = Table("name", "org", "role", "state", "created", caption=more)
    table.columns.insert(0, Column("email", no_wrap=True))  # whole, to copy into the next command
    for u in found.users:
        state = "[red]disabled[/red]" if u.disabled else "active"
        table.add_row(u.email, u.name, u.org or "-", u.role, state, _when(u.created_at)[:10])
    console.print(table)


@user_app.command("show", help="One user: organization, role, state, projects and app grants.")
def user_show(email: str, json_: JsonOpt = False) -> None:
    with unit_of_work(json_) as (session, _s, _h):
        out = asdict(service.user_summary(session, email))
    if json_:
        emit(out, True)
        return
    for key in ("created_at", "password_changed_at"):
        out[key] = _when(out[key])
    out["projects"] = ", ".join(f"{p['name']} ({p['role']})" for p in out["projects"]) or "-"
    out["org"] = out["org"] or "-"
    emit(out, False, title=email)


@user_app.command("set-password", help="Replace a user's password; it is read from standard input.")
def user_set_password(email: str, password_stdin: PasswordStdin = False, json_: JsonOpt = False) -> None:
    password = _read_password(password_stdin, json_)
    with unit_of_work(json_) as (session, settings, _h):
        user, sessions = service.set_password(session, email, password, actor=ACTOR)
        _tell_apps(session, settings, user.email, "sessions-revoked")
        out = {
            "email": user.email,
            "password_changed_at": user.password_changed_at,
            "sessions_ended": sessions,
        }
    emit(out, json_)


@user_app.command("disable", help="Stop a user signing in; revokes their tokens and browser sessions.")
def user_disable(email: str, json_: JsonOpt = False) -> None:
    with unit_of_work(json_) as (session, settings, _h):
        ended = service.disable_user(session, email, actor=ACTOR)
        if ended.changed:
            _tell_apps(session, settings, ended.email, "account-disabled")
        out = {
            "email": ended.email,
            "disabled": True,
            "changed": ended.changed,
            "tokens_revoked": ended.tokens,
            "sessions_ended": ended.sessions,
        }
    emit(out, json_)


@user_app.command("enable", help="Let a disabled user sign in again (revoked tokens stay revoked).")
def user_enable(email: str, json_: JsonOpt = False) -> None:
    with unit_of_work(json_) as (session, settings, _h):
        changed = service.enable_user(session, email, actor=ACTOR)
        if changed:
            _tell_apps(session, settings, email, "account-enabled")
        out = {"email": email.strip().lower(), "disabled": False, "changed": changed}
    emit(out, json_)


@user_app.command("delete", help="Delete a user with their tokens, grants and sessions (not project owners).")
def user_delete(email: str, json_: JsonOpt = False) -> None:
    with unit_of_work(json_) as (session, settings, _h):
        # Before the deletion, which takes the grants that say which apps to tell; a refused
        # deletion rolls the events back with it.
        _tell_apps(session, settings, email, "account-purged")
        gone = service.delete_user(session, email, actor=ACTOR)
        out = {
            "email": gone.email,
            "deleted": True,
            "tokens_deleted": gone.tokens,
            "grants_deleted": gone.grants,
            "sessions_ended": gone.sessions,
        }
    emit(out, json_)


two_step.register(user_app, org_app)  # user reset-2sv, org require-2sv (ACCT-3)
