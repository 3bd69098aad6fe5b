"""``consentry project``: create, list, show, declare scopes, test users, suspend and reinstate
(VERIFY-1, VERIFY-2, LIMIT-6)."""

from __future__ import annotations

from typing import Annotated, Any

import typer
from rich.table import Table

from consentry.cli.output import console, emit, fail
from consentry.cli.services import JsonOpt, Services, clients_table, services, short
from consentry.domain.clients.service import client_summary
from consentry.domain.projects.suspension import Suspension
from consentry.domain.scopes.catalogue import CLASSES
from consentry.storage.tables import Project

project_app = typer.Typer(help="Projects group clients, scopes and members.", no_args_is_help=True)


@project_app.command("create", help="Create a project owned by a user.")
def project_create(
    name: str,
    owner: Annotated[str, typer.Option(help="Owner's email.")],
    user_type: Annotated[str, typer.Option(help="external or internal.")] = "external",
    status: Annotated[str, typer.Option(help="testing or production.")] = "testing",
    json_: JsonOpt = False,
) -> None:
    with services(json_) as sv:
        project = sv.projects.create(name, owner_email=owner, user_type=user_type, status=status)
        members = sv.projects.repo.members(project.id)
        out = {
            "project": project.name,
            "owner": members[0][0].email if members else owner,
            "user_type": project.user_type,
            "status": project.status,
        }
    emit(out, json_)


@project_app.command("list", help="Every project: publishing status, user type, clients, verification.")
def project_list(json_: JsonOpt = False) -> None:
    with services(json_) as sv:
        rows: list[dict[str, Any]] = []
        for project in sv.projects.visible():
            status = sv.verification.status(project)
            rows.append(
                {
                    "project": project.name,
                    "app_name": project.app_name,
                    "status": project.status,
                    "user_type": project.user_type,
                    "clients": len(sv.projects.repo.clients(project.id)),
                    "verification": {
                        "needed": status.needed,
                        "verified": status.verified,
                        "review_state": status.review_state,
                        "headline": status.headline,
                    },
                }
            )
    if json_:
        emit({"projects": rows}, True)
        return
    table = Table("project", "app name", "status", "user type", "clients", "verification")
    for r in rows:
        v = r["verification"]
        table.add_row(
            r["project"], r["app_name"], r["status"], r["user_type"], str(r["clients"]), v["headline"]
        )
    console.print(table)


def _project_details(sv: Services, project: Project) -> dict[str, Any]:
    status = sv.verification.status(project)
    return {
        "project": project.name,
        "app_name": project.app_name,
        "status": project.status,
        "user_type": project.user_type,
        "created_at": project.created_at,
        "members": [{"email": u.email, "role": r} for u, r in sv.projects.repo.members(project.id)],
        "clients": [client_summary(c) for c in sv.clients.list(project)],
        "declared_scopes": sv.projects.scopes_by_class(project),
        "approved_scopes": list(project.approved_scopes or []),
        "test_users": list(project.test_users or []),
        "brand": {
            "support_email": project.support_email,
            "home_page": project.home_page,
            "privacy_policy": project.privacy_policy,
            "terms": project.terms,
            "authorized_domains": list(project.authorized_domains or []),
            "developer_contacts": list(project.developer_contacts or []),
            "logo": project.logo_png is not None,
        },
        "verification": status.as_dict(),
        "suspended": project.suspended_at is not None,
        "suspended_reason": project.suspended_reason or None,
        "unverified_users": project.unverified_users,
        "unverified_user_cap": sv.settings.unverified_user_cap,
    }


@project_app.command(
    "show", help="One project: members, clients, scopes by class and where verification stands."
)
def project_show(project: str, json_: JsonOpt = False) -> None:
    with services(json_) as sv:
        out = _project_details(sv, sv.projects.get(project))
    if json_:
        emit(out, True)
        return
    v = out["verification"]
    emit(
        {
            "project": out["project"],
            "app name": out["app_name"],
            "status": out["status"],
            "user type": out["user_type"],
            "members": ", ".join(f"{m['email']} ({m['role']})" for m in out["members"]) or "-",
            "test users": len(out["test_users"]),
            "suspended": out["suspended_reason"] or "no",
            "unverified users": f"{out['unverified_users']} of {out['unverified_user_cap']}",
            "verification": v["headline"],
            "next action": v["next_action"],
        },
        False,
        title=project,
    )
    scopes = Table("scope", "class", "approved", title="Declared scopes")
    for cls in reversed(CLASSES):
        for uri in out["declared_scopes"][cls]:
            scopes.add_row(short(uri), cls, "yes" if uri in out["approved_scopes"] else "")
    console.print(scopes)
    if out["clients"]:
        console.print(clients_table(out["clients"]))
    for m in v["missing"]:
        console.print(f"[yellow]missing:[/yellow] {m['message']}")


@project_app.command("scopes", help="Declare scopes on the project's consent screen (or remove them).")
def project_scopes(
    project: str,
    add: Annotated[list[str] | None, typer.Option("--add", help="Scope to declare (repeat).")] = None,
    remove: Annotated[list[str] | None, typer.Option("--remove", help="Scope to remove (repeat).")] = None,
    json_: JsonOpt = False,
) -> None:
    if not add and not remove:
        fail("usage", "give at least one --add SCOPE or --remove SCOPE", json_)
    with services(json_) as sv:
        row = sv.projects.get(project)
        declared = sv.projects.declare_scopes(row, add=add or [], remove=remove or [])
        out = {"project": row.name, "declared_scopes": list(declared)}
    emit(out, json_)


@project_app.command("test-users", help="Add or remove test users (projects in Testing reach only them).")
def project_test_users(
    project: str,
    add: Annotated[list[str] | None, typer.Option("--add", help="Email (repeat).")] = None,
    remove: Annotated[list[str] | None, typer.Option("--remove", help="Email to remove (repeat).")] = None,
    json_: JsonOpt = False,
) -> None:
    if not add and not remove:
        fail("usage", "give at least one --add EMAIL or --remove EMAIL", json_)
    with services(json_) as sv:
        row = sv.projects.get(project)
        users = sv.projects.change_test_users(row, add=add or [], remove=remove or [])
        out = {"project": row.name, "test_users": list(users)}
    emit(out, json_)


# --- clients -----------------------------------------------------------------------------------------


@project_app.command(
    "suspend",
    help="Suspend an app that breaks the rules: revoke every token and code now, refuse every new "
    "request with the reason (LIMIT-6).",
)
def project_suspend(
    project: str,
    reason: Annotated[str, typer.Option(help="Why; users and the developer read it.")],
    json_: JsonOpt = False,
) -> None:
    with services(json_) as sv:
        row, cut = Suspension(sv.projects).suspend(project, reason)
        out = {
            "project": row.name,
            "suspended": True,
            "reason": row.suspended_reason,
            "revoked": {"tokens": cut.tokens, "codes": cut.codes, "device_codes": cut.device_codes},
        }
    emit(out, json_)


@project_app.command(
    "reinstate", help="Lift a suspension; revoked tokens stay revoked (users consent again)."
)
def project_reinstate(project: str, json_: JsonOpt = False) -> None:
    with services(json_) as sv:
        row = Suspension(sv.projects).reinstate(project)
        out = {"project": row.name, "suspended": False}
    emit(out, json_)
