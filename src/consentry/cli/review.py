"""``consentry review``: the reviewers' queue and decisions from the shell (VERIFY-6, VERIFY-7, SEC-5).

The same Verification service as the reviewer console, acting as the operator: every decision
moves the request through the one state table, leaves an audit event and puts the mail to the
developer contacts and the support address in the outbox. The queue and the review summary are
built by ``consentry.web.review.listing`` and ``.view`` (plain Python, no web framework), so the
shell and the console show the same thing.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

import typer
from rich.table import Table

from consentry.cli.output import console, emit, fail
from consentry.cli.services import services, short

review_app = typer.Typer(
    help="Verification requests: the queue, what a request holds, and the reviewers' decisions.",
    no_args_is_help=True,
)
JsonOpt = Annotated[bool, typer.Option("--json", help="Print one JSON object.")]


def _request(project: Any, row: Any) -> dict[str, Any]:
    return {"project": project.name, "request": row.id, "state": row.state}


@review_app.command("list", help="Requests to review, oldest first, with their age in days.")
def review_list(
    state: Annotated[
        str, typer.Option(help="open, submitted, in_review, waiting_for_developer or decided.")
    ] = "open",
    needs: Annotated[str, typer.Option(help="Only requests needing sensitive or restricted review.")] = "",
    json_: JsonOpt = False,
) -> None:
    from consentry.web.review import listing

    if state not in listing.STATE_FILTERS:
        fail("invalid_state", f"--state is one of {', '.join(listing.STATE_FILTERS)}", json_)
    if needs not in listing.NEEDS_FILTERS:
        fail("invalid_needs", "--needs is sensitive or restricted", json_)
    with services(json_) as sv:
        items, counts = listing.queue(sv.verification, state, needs)
        rows: list[dict[str, Any]] = [
            {
                "project": i.project.name,
                "app_name": i.project.app_name,
                "request": i.request.id,
                "state": i.request.state,
                "needs": i.needed,
                "scopes": {cls: i.by_class[cls] for cls in ("restricted", "sensitive")},
                "submitted_at": i.request.submitted_at,
                "submitted_by": i.request.submitted_by,
                "age_days": i.age_days,
                "old": i.old,
            }
            for i in items
        ]
    if json_:
        emit({"requests": rows, "counts": counts}, True)
        return
    table = Table("project", "app name", "state", "needs", "restricted", "sensitive", "submitted", "age")
    for r in rows:
        age = f"{r['age_days']} d" if r["age_days"] is not None else "-"
        table.add_row(
            r["project"],
            r["app_name"],
            r["state"],
            r["needs"],
            str(len(r["scopes"]["restricted"])),
            str(len(r["scopes"]["sensitive"])),
            listing.day(r["submitted_at"]),
            f"[bold yellow]{age}[/bold yellow]" if r["old"] else age,
        )
    console.print(table)


@review_app.command("show", help="A request: its state, the scopes by class, and what is still missing.")
def review_show(project: str, json_: JsonOpt = False) -> None:
    from consentry.web.review import listing, view

    with services(json_) as sv:
        v = view.review(sv.verification, project)
        r = v.request
        status = v.status.as_dict()
        out: dict[str, Any] = {
            **_request(v.project, r),
            "app_name": v.project.app_name,
            "state_explained": v.state_explained,
            "needs": v.needed,
            "submitted_at": r.submitted_at,
            "submitted_by": r.submitted_by,
            "age_days": v.age_days,
            "requested_scopes": [
                {
                    "scope": s.uri,
                    "class": s.scope_class,
                    "approved": s.approved,
                    "usage": s.usage,
                    "why_not_narrower": s.why_not_narrower,
                    "narrower": s.narrower,
                }
                for s in v.scopes
            ],
            "scopes": v.declared,
            "approved_scopes": list(v.project.approved_scopes or []),
            "missing": status["missing"],
            "headline": status["headline"],
            "next_action": status["next_action"],
            "reasons": list(r.reasons or []),
            "messages": [
                {"side": m.side, "author": m.author, "body": m.body, "at": m.at} for m in v.messages
            ],
            "prechecks": [{"code": p.code, "passed": p.passed, "message": p.message} for p in v.prechecks],
            "submission": {
                "app_type": r.app_type,
                "video_url": r.video_url,
                "doc_links": list(r.doc_links or []),
                "task_automation": r.task_automation,
                "server_access": r.server_access,
                "transfers": r.transfers,
                "human_access": r.human_access,
                "attested": r.attested,
                "scan_report": r.scan_report is not None,
            },
            "assessment": _assessment(v.assessment),
            "assessment_required": status["assessment_required"],
        }
    if json_:
        emit(out, True)
        return
    emit(
        {
            "project": out["project"],
            "app name": out["app_name"],
            "state": f"{out['state']}: {out['state_explained']}",
            "submitted": f"{listing.day(out['submitted_at'])} by {out['submitted_by']}",
            "age": f"{out['age_days']} days",
            "verification": out["headline"],
        },
        False,
        title=f"Request #{out['request']}",
    )
    table = Table("scope", "class", "approved", "usage", title="Scopes under review")
    for s in out["requested_scopes"]:
        table.add_row(short(s["scope"]), s["class"], "yes" if s["approved"] else "", s["usage"])
    console.print(table)
    declared = Table("class", "declared scopes", title="Declared scopes by class")
    for cls in ("restricted", "sensitive", "non-sensitive"):
        declared.add_row(cls, ", ".join(short(u) for u in out["scopes"][cls]) or "-")
    console.print(declared)
    for p in out["prechecks"]:
        mark = "[green]pass[/green]" if p["passed"] else "[red]fail[/red]"
        console.print(f"pre-check {mark} {p['message'] or p['code']}")
    for m in out["missing"]:
        console.print(f"[yellow]missing:[/yellow] {m['message']}")
    if not out["missing"]:
        console.print("[green]nothing missing[/green]")


def _assessment(a: Any) -> dict[str, Any] | None:
    if a is None:
        return None
    return {
        "assessor": a.row.assessor,
        "tier": a.row.tier,
        "letter_date": a.letter_on,
        "lapses_on": a.lapses_on,
        "lapsed": a.lapsed,
        "scopes": list(a.row.scopes or []),
        "deletion_checked": a.row.deletion_checked,
    }


@review_app.command("start", help="Pick up a submitted request: the developer sees it is in review.")
def review_start(project: str, json_: JsonOpt = False) -> None:
    with services(json_) as sv:
        row = sv.review.start(project)
        out = {"project": project, "request": row.id, "state": row.state}
    emit(out, json_)


@review_app.command("approve", help="Approve the request's scopes, all of them or only each --scope given.")
def review_approve(
    project: str,
    scope: Annotated[
        list[str] | None, typer.Option("--scope", help="Approve only this scope (repeat).")
    ] = None,
    json_: JsonOpt = False,
) -> None:
    with services(json_) as sv:
        row = sv.review.approve(project, scope or None)
        target = sv.projects.get(project)
        out = {
            "project": project,
            "request": row.id,
            "state": row.state,
            "approved_scopes": list(row.approved_scopes or []),
            "project_approved_scopes": list(target.approved_scopes or []),
        }
    emit(out, json_)


@review_app.command(
    "reject", help="Reject the request with reasons (repeat --reason); the developer is mailed."
)
def review_reject(
    project: str,
    reason: Annotated[list[str] | None, typer.Option("--reason", help="Why (repeat for several).")] = None,
    json_: JsonOpt = False,
) -> None:
    if not reason or not any(r.strip() for r in reason):
        fail("invalid_request", "say why the request is rejected: --reason TEXT", json_)
    with services(json_) as sv:
        row = sv.review.reject(project, list(reason or []))
        out = {"project": project, "request": row.id, "state": row.state, "reasons": list(row.reasons)}
    emit(out, json_)


@review_app.command("ask", help="Ask the developer for more information; the review waits for the answer.")
def review_ask(
    project: str,
    message: Annotated[str, typer.Option(help="The question, mailed to the developer contacts.")] = "",
    json_: JsonOpt = False,
) -> None:
    if not message.strip():
        fail("invalid_request", "give the question: --message TEXT", json_)
    with services(json_) as sv:
        row = sv.review.ask(project, message)
        out = {"project": project, "request": row.id, "state": row.state, "message": message.strip()}
    emit(out, json_)


@review_app.command("assess", help="Record a security assessment's letter of validation (SEC-5, SEC-8).")
def review_assess(
    project: str,
    assessor: Annotated[str, typer.Option(help="The authorized assessor.")] = "",
    tier: Annotated[str, typer.Option(help="1 self-assessment, 2 lab-verified scan, 3 full lab test.")] = "",
    letter_date: Annotated[str, typer.Option(help="Date of the letter of validation, YYYY-MM-DD.")] = "",
    scope: Annotated[
        list[str] | None, typer.Option("--scope", help="A restricted scope it covers (repeat).")
    ] = None,
    deletion_checked: Annotated[
        bool, typer.Option("--deletion-checked", help="It checked that the app deletes data on request.")
    ] = False,
    json_: JsonOpt = False,
) -> None:
    if tier not in ("1", "2", "3"):
        fail(
            "invalid_tier", "--tier is 1 (self-assessment), 2 (lab-verified scan) or 3 (full lab test)", json_
        )
    try:
        letter = dt.date.fromisoformat(letter_date)
    except ValueError:
        fail("invalid_date", "--letter-date is the letter's date as YYYY-MM-DD", json_)
        raise
    if not scope:
        fail("invalid_scope", "name the restricted scopes it covers: --scope SCOPE", json_)
    from consentry.storage.tables.base import now
    from consentry.web.review.view import assessment_view

    with services(json_) as sv:
        row = sv.review.record_assessment(
            project,
            assessor=assessor,
            tier=int(tier),
            letter_date=letter,
            scopes=list(scope or []),
            deletion_checked=deletion_checked,
        )
        sv.projects.repo.flush()
        out = {"project": project, **(_assessment(assessment_view(row, now())) or {})}
    emit(out, json_)
