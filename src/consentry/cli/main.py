"""Entry point: ``consentry --help`` lists every command; each takes --json."""

from __future__ import annotations

import os
from typing import Annotated

import typer

from consentry.cli import (
    accounts,
    clients,
    demo,
    events,
    incidents,
    invitations,
    legacy,
    org_admin,  # noqa: F401  (adds `org apps | app-access | install | unconfigured | restrict | ...`)
    org_delegation,  # noqa: F401  (adds `org delegate | undelegate | delegations`)
    outbox,
    projects,
    purge,
    review,
    scopes,
    service_accounts,  # noqa: F401  (adds `client keys | key-add | key-disable | key-delete`)
)
from consentry.cli.output import emit
from consentry.cli.scan import scan_command

app = typer.Typer(
    help="Consentry: a self-hostable authorization platform.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
db_app = typer.Typer(help="Database schema.", no_args_is_help=True)
keys_app = typer.Typer(help="Signing keys.", no_args_is_help=True)
app.add_typer(db_app, name="db")
app.add_typer(keys_app, name="keys")
app.add_typer(accounts.org_app, name="org")
app.add_typer(accounts.user_app, name="user")
accounts.user_app.command("invite", help=invitations.HELP)(invitations.user_invite)
app.add_typer(projects.project_app, name="project")
app.add_typer(clients.client_app, name="client")
app.add_typer(review.review_app, name="review")
app.add_typer(outbox.outbox_app, name="outbox")
app.add_typer(events.events_app, name="events")
app.add_typer(incidents.incident_app, name="incident")
app.add_typer(legacy.legacy_app, name="legacy")
app.command("demo", help="Load demo data: an organization, users, a project with three clients.")(demo.demo)
app.add_typer(scopes.scopes_app, name="scopes")
app.command("scan", help="Scopes a source tree requests and the verification they need.")(scan_command)
app.command("purge", help=purge.HELP)(purge.purge_command)
JsonOpt = Annotated[bool, typer.Option("--json", help="Print one JSON object.")]


@app.command(help="Serve Consentry over HTTP (uvicorn; one process per worker).")
def serve(
    host: Annotated[str, typer.Option(help="Interface to bind.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="TCP port.")] = 8000,
    workers: Annotated[int, typer.Option(help="Worker processes; default: one per core.")] = 0,
    json_: JsonOpt = False,
) -> None:
    import uvicorn

    from consentry.cli.metrics_dir import prepare_metrics_dir
    from consentry.settings import Settings
    from consentry.web.served_http import CorkedHttpToolsProtocol

    n = workers or Settings().workers or os.cpu_count() or 1
    emit({"serving": f"http://{host}:{port}", "workers": n}, json_)
    prepare_metrics_dir()  # before any worker imports prometheus-client: counts summed over workers
    uvicorn.run(
        "consentry.cli.served:create_served_app",  # create_app, routes analysed, start-up heap frozen
        factory=True,
        http=CorkedHttpToolsProtocol,  # one write per response, headers checked once (web/served_http.py)
        server_header=False,  # no "server: uvicorn": nothing to tell a scanner which server this is
        host=host,
        port=port,
        workers=n,
        log_level="warning",
        access_log=False,
        proxy_headers=True,
        # X-Forwarded-For is believed only from these proxies (docs/operators.md, "Client addresses
        # behind a proxy"); a proxy on this machine may connect over IPv4 or IPv6 loopback.
        forwarded_allow_ips=os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1,::1"),
        # Limits per worker (docs/operators.md, "Request bodies and timeouts"; ISSUE-9.4); bodies
        # are bounded in size and time by the app itself (consentry.web.body_limit).
        timeout_keep_alive=5,  # idle keep-alive connections close (uvicorn's default, made explicit)
        limit_concurrency=1000,  # connections + requests in progress; beyond, an immediate 503
        timeout_graceful_shutdown=30,  # on shutdown, close what is still busy rather than wait forever
    )


@db_app.command("upgrade", help="Apply every migration to CONSENTRY_DATABASE_URL.")
def db_upgrade(json_: JsonOpt = False) -> None:
    from sqlalchemy.exc import SQLAlchemyError

    from consentry.cli.output import fail
    from consentry.settings import Settings
    from consentry.storage.migrate import upgrade

    settings = Settings()
    try:
        upgrade(settings.database_url)
    except SQLAlchemyError as err:
        fail("database_error", str(getattr(err, "orig", None) or err).splitlines()[0], json_)
    emit({"database": settings.database_url.split("@")[-1], "revision": "head"}, json_)


@keys_app.command("rotate", help="New signing keys; old ones stay published until tokens they signed expire.")
def keys_rotate(json_: JsonOpt = False) -> None:
    from cryptography.exceptions import InvalidTag
    from sqlalchemy import select

    from consentry.cli.context import unit_of_work
    from consentry.cli.output import fail
    from consentry.domain.keys.envelope import Envelope
    from consentry.domain.keys.manager import rotate
    from consentry.storage.tables import SigningKey

    with unit_of_work(json_) as (session, settings, _h):
        envelope = Envelope(settings.secret_key)
        # Keys sealed under another secret would break every server (they could not open them).
        current = session.scalar(select(SigningKey).where(SigningKey.status == "active").limit(1))
        if current is not None:
            try:
                envelope.open(current.private_blob, current.kid.encode())
            except InvalidTag:
                fail(
                    "secret_key_mismatch",
                    "CONSENTRY_SECRET_KEY differs from the servers' (it cannot "
                    "open the current signing keys); nothing was changed",
                    json_,
                )
        kids = rotate(session, envelope)
    emit({"active_kids": kids}, json_)


if __name__ == "__main__":
    app()
