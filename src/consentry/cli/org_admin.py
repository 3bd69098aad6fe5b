"""The organization admin console on the command line (issue 14): ``consentry org apps``,
``app-access``, ``install``, ``unconfigured``, ``restrict``, ``message``, ``internal-approval``,
``members``, ``role``, ``requests`` and ``decide``.

Added to the ``org`` app of cli/accounts.py (cli/org_delegation.py has delegate / undelegate).
Whoever runs the CLI has the database: the operator, acting for any organization's admins, so
these commands need no sign-in. The CLI only parses and prints; domain/orgs/ does the work, with
the same audit, policy_version bump and enforcement as the pages and the API. Values are checked
by the domain (not by Typer choices) so that bad input is one JSON error with --json, exit 2.
"""

from __future__ import annotations

from dataclasses import asdict
from typing import Annotated, Any

import typer
from rich.table import Table

from consentry.cli.accounts import org_app
from consentry.cli.context import unit_of_work
from consentry.cli.output import console, emit
from consentry.domain.audit.tags import Channel
from consentry.domain.orgs import access_requests, admin
from consentry.domain.orgs.apps import apps, project_of_client
from consentry.domain.scopes.catalogue import Catalogue
from consentry.errors import InvalidInput

JsonOpt = Annotated[bool, typer.Option("--json", help="Print one JSON object.")]
#: Who the audit log names for a change made here.
ACTOR = "cli"
CLI = Channel.CLI


def _changed(out: admin.Changed, **extra: Any) -> dict[str, Any]:
    return {**asdict(out), **extra}


def _on_off(value: str) -> bool:
    if value not in ("on", "off"):
        raise InvalidInput("usage", f"say on or off, not {value[:20]!r}")
    return value == "on"


@org_app.command("apps", help="The apps the organization's members use or its admins configured.")
def org_apps(domain: str, json_: JsonOpt = False) -> None:
    with unit_of_work(json_) as (session, settings, _h):
        org = admin.administered(session, None, domain)
        rows = apps(session, org, Catalogue(settings.issuer_url))
        out: dict[str, Any] = {
            "domain": org.domain,
            "unconfigured": org.unconfigured or "allow",
            "apps": [{**asdict(r), "client_ids": list(r.client_ids)} for r in rows],
        }
    if json_:
        emit(out, True)
        return
    table = Table(
        "app", "client IDs", "users", "scopes", "verified", "access", title=f"Apps in {out['domain']}"
    )
    for a in out["apps"]:
        scopes = ", ".join(f"{len(v)} {k}" for k, v in a["scopes"].items()) or "-"
        access = (a["access"] or f"unconfigured ({out['unconfigured']})") + (
            " installed" if a["installed"] else ""
        )
        verified = "internal" if a["internal"] else "yes" if a["verified"] else "no"
        table.add_row(a["name"], "\n".join(a["client_ids"]), str(a["users"]), scopes, verified, access)
    console.print(table)


@org_app.command(
    "app-access",
    help="Set an app's access for the organization: trusted, limited (sign-in and non-sensitive "
    "scopes only) or blocked. Access the new setting refuses is revoked at once.",
)
def org_app_access(
    domain: str,
    client_id: Annotated[str, typer.Argument(help="Any client ID of the app.")],
    access: Annotated[str, typer.Argument(help="trusted | limited | blocked")],
    json_: JsonOpt = False,
) -> None:
    with unit_of_work(json_) as (session, settings, _h):
        org = admin.administered(session, None, domain)
        project = project_of_client(session, client_id)
        done = admin.set_access(
            session,
            org,
            project.id,
            access,
            actor=ACTOR,
            channel=CLI,
            catalogue=Catalogue(settings.issuer_url),
        )
        out = _changed(done, client_id=client_id, app=project.app_name or project.name)
    emit(out, json_)


@org_app.command("install", help="Install an app for every member (trusted, no verification here), or not.")
def org_install(
    domain: str,
    client_id: Annotated[str, typer.Argument(help="Any client ID of the app.")],
    state: Annotated[str, typer.Argument(help="on | off")],
    json_: JsonOpt = False,
) -> None:
    with unit_of_work(json_) as (session, settings, _h):
        on = _on_off(state)
        org = admin.administered(session, None, domain)
        project = project_of_client(session, client_id)
        done = admin.set_installed(
            session, org, project.id, on, actor=ACTOR, channel=CLI, catalogue=Catalogue(settings.issuer_url)
        )
        out = _changed(done, client_id=client_id, app=project.app_name or project.name)
    emit(out, json_)


@org_app.command(
    "unconfigured", help="The policy for apps the admins have not configured: allow, sign-in-only or block."
)
def org_unconfigured(
    domain: str,
    policy: Annotated[str, typer.Argument(help="allow | sign-in-only | block")],
    json_: JsonOpt = False,
) -> None:
    _policy(domain, json_, unconfigured=policy)


@org_app.command("restrict", help="APIs only trusted apps may reach (repeat --api; none clears the list).")
def org_restrict(
    domain: str,
    api: Annotated[
        list[str] | None, typer.Option("--api", help="mail, files, chat, meetings or calendar (repeatable).")
    ] = None,
    json_: JsonOpt = False,
) -> None:
    _policy(domain, json_, restricted_apis=list(api or []))


@org_app.command("message", help="The organization's words on every refusal its rules make ('' clears).")
def org_message(domain: str, text: str, json_: JsonOpt = False) -> None:
    _policy(domain, json_, message=text)


@org_app.command("internal-approval", help="Members need the admins' approval before using an Internal app.")
def org_internal_approval(
    domain: str, state: Annotated[str, typer.Argument(help="on | off")], json_: JsonOpt = False
) -> None:
    _policy(domain, json_, internal_approval=state)


def _policy(domain: str, json_: bool, **values: Any) -> None:
    with unit_of_work(json_) as (session, settings, _h):
        if "internal_approval" in values:
            values["internal_approval"] = _on_off(values["internal_approval"])
        org = admin.administered(session, None, domain)
        done = admin.set_policy(
            session, org, actor=ACTOR, channel=CLI, catalogue=Catalogue(settings.issuer_url), **values
        )
        out = _changed(done)
    emit(out, json_)


@org_app.command("members", help="The organization's members and their roles.")
def org_members(domain: str, json_: JsonOpt = False) -> None:
    with unit_of_work(json_) as (session, _s, _h):
        org = admin.administered(session, None, domain)
        out: dict[str, Any] = {
            "domain": org.domain,
            "members": [asdict(m) for m in admin.members(session, org)],
        }
    if json_:
        emit(out, True)
        return
    table = Table("email", "name", "role", "disabled", title=f"Members of {out['domain']}")
    for m in out["members"]:
        table.add_row(m["email"], m["name"], m["role"], "yes" if m["disabled"] else "")
    console.print(table)


@org_app.command("role", help="Make a member an admin, or an admin a member (never the last admin).")
def org_role(
    domain: str, email: str, role: Annotated[str, typer.Argument(help="admin | user")], json_: JsonOpt = False
) -> None:
    with unit_of_work(json_) as (session, settings, _h):
        org = admin.administered(session, None, domain)
        done = admin.set_role(
            session, org, email, role, actor=ACTOR, channel=CLI, catalogue=Catalogue(settings.issuer_url)
        )
        out = _changed(done)
    emit(out, json_)


@org_app.command("requests", help="Members' requests for apps the organization refuses.")
def org_requests(
    domain: str,
    status: Annotated[str, typer.Option(help="pending | approved | denied | lapsed | all")] = "pending",
    json_: JsonOpt = False,
) -> None:
    with unit_of_work(json_) as (session, _s, _h):
        if status not in ("pending", "approved", "denied", "lapsed", "all"):
            raise InvalidInput("invalid_status", "Choose pending, approved, denied, lapsed or all.")
        org = admin.administered(session, None, domain)
        rows = access_requests.listing(session, org.id, status=status)
        out: dict[str, Any] = {
            "domain": org.domain,
            "status": status,
            "requests": [{**asdict(r), "status": "lapsed" if r.lapsed else r.status} for r in rows],
        }
    if json_:
        emit(out, True)
        return
    table = Table("id", "app", "member", "status", "reason", title=f"Requests in {out['domain']} ({status})")
    for r in out["requests"]:
        table.add_row(str(r["id"]), r["app"], r["email"], r["status"], r["reason"][:80])
    console.print(table)


@org_app.command("decide", help="Approve or deny a member's request; they are mailed the decision.")
def org_decide(
    domain: str,
    request_id: Annotated[int, typer.Argument(min=1, max=2**31 - 1)],
    decision: Annotated[str, typer.Argument(help="approve | deny")],
    answer: Annotated[str, typer.Option(help="Sent to the member with the decision.")] = "",
    json_: JsonOpt = False,
) -> None:
    with unit_of_work(json_) as (session, settings, _h):
        word = {"approve": "approved", "deny": "denied"}.get(decision)
        if word is None:
            raise InvalidInput("invalid_decision", "Say approve or deny.")
        org = admin.administered(session, None, domain)
        row = access_requests.decide(
            session, org, request_id, word, answer, actor=ACTOR, channel=CLI, issuer=settings.issuer_url
        )
        out = {"domain": org.domain, "request": row.id, "status": row.status, "answer": row.answer}
    emit(out, json_)
