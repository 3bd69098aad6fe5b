"""create_app(settings): routers, middleware, lifespan; nothing global at import time."""

from __future__ import annotations

import logging
import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from functools import partial
from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.requests import ClientDisconnect
from starlette.responses import JSONResponse, RedirectResponse, Response
from starlette.types import ASGIApp, Receive, Scope, Send

from consentry import __version__
from consentry.domain.accounts.captcha import Captchas
from consentry.domain.accounts.devices import TrustedDevices
from consentry.domain.accounts.links import Links
from consentry.domain.accounts.signin import PasswordSignIn
from consentry.domain.accounts.steps import SigninSteps
from consentry.domain.clients.snapshot import ClientCache
from consentry.domain.events.deliver import runner as events_runner
from consentry.domain.keys.envelope import Envelope
from consentry.domain.keys.manager import KeyManager
from consentry.domain.mail.mailer import start_mailer
from consentry.domain.mail.smtp_url import SmtpConfig
from consentry.domain.maintenance import start_janitor
from consentry.domain.ratelimit import Limiter, Limits
from consentry.domain.ratelimit.quotas import AnonymousWriters
from consentry.domain.scopes.catalogue import Catalogue
from consentry.domain.secrets import Hasher
from consentry.domain.verification.sweep import sweep as verification_sweep
from consentry.errors import DomainError, http_status
from consentry.guard import Guard
from consentry.protocol.oauth2.context import ProtocolContext
from consentry.protocol.oauth2.errors import RETRY_AFTER
from consentry.protocol.oauth2.server import ConsentryServer
from consentry.settings import Settings
from consentry.storage.db import Database
from consentry.storage.outage import STORAGE_ERRORS
from consentry.storage.repositories.rate_counters import SqlRateCounters
from consentry.storage.token_store import BatchedTokenStore
from consentry.web import log_redaction, oauth, protocol_openapi, ssf
from consentry.web.api import clients as clients_api
from consentry.web.api import events as events_api
from consentry.web.api import incidents as incidents_api
from consentry.web.api import orgs as orgs_api
from consentry.web.api import projects as projects_api
from consentry.web.api import review as review_api
from consentry.web.api import scopes as scopes_api
from consentry.web.api import verification as verification_api
from consentry.web.authorize_flow import AuthorizeFlow
from consentry.web.body_limit import BodyLimit
from consentry.web.body_rules import RouteTable
from consentry.web.console import incidents as console_incidents
from consentry.web.console import pages as console_pages
from consentry.web.data import ROUTERS as DATA_ROUTERS
from consentry.web.data.operation import REALM as DATA_REALM
from consentry.web.data.verifier import LocalVerifier
from consentry.web.deps import SignInRequired, signin_redirect
from consentry.web.legacy.gateway import LegacyGateway
from consentry.web.legacy.routes import ROUTERS as LEGACY_ROUTERS
from consentry.web.metrics import Metrics
from consentry.web.org_admin import ROUTERS as ORG_ADMIN_ROUTERS
from consentry.web.pages import account as account_pages
from consentry.web.pages import (
    account_app_passwords,
    account_delete,
    account_security,
    account_sessions,
    api_reference,
    app_logo,
    device,
    home,
    org_requests,
    password_reset,
    picker,
    scopes,
    signin,
    signin_verify,
)
from consentry.web.pages import help as help_pages
from consentry.web.pages import invitations as invitation_pages
from consentry.web.pages import passkeys as passkey_pages
from consentry.web.pages import signup as signup_pages
from consentry.web.protocol_adapter import ProtocolAdapter
from consentry.web.render import error_page
from consentry.web.review import deletions as review_deletions
from consentry.web.review import incidents as review_incidents
from consentry.web.review import pages as review_pages
from consentry.web.review import reports as review_reports
from consentry.web.runtime import Runtime
from consentry.web.security import SecurityHeaders
from consentry.web.session import Sessions

log = logging.getLogger("consentry")
STATIC = Path(__file__).parent / "web" / "static"


def build_runtime(settings: Settings, db: Database | None = None) -> Runtime:
    db = db or Database(settings.database_url)
    hasher = Hasher(settings.secret_key)
    keys = KeyManager(
        db,
        Envelope(settings.secret_key),
        publish_retired_for=settings.id_token_ttl + settings.access_token_ttl + 3600,
    )
    limiter, limits = Limiter(hasher), Limits.from_settings(settings)
    ctx = ProtocolContext(
        settings=settings,
        db=db,
        hasher=hasher,
        keys=keys,
        catalogue=Catalogue(settings.issuer),
        quotas=AnonymousWriters(limiter, limits, SqlRateCounters),
    )
    server = ConsentryServer(ctx)
    sessions = Sessions(settings, hasher)
    store, client_cache = BatchedTokenStore(db, settings.refresh_tokens_per_client), ClientCache()
    captchas = Captchas(hasher, settings.captcha_ttl)
    devices = TrustedDevices(hasher, settings.trusted_device_ttl)
    return Runtime(
        ctx=ctx,
        server=server,
        sessions=sessions,
        flow=AuthorizeFlow(server, sessions, store, client_cache),
        token_store=store,
        client_cache=client_cache,
        captchas=captchas,
        signin=PasswordSignIn(db.unit_of_work, SqlRateCounters, limiter, limits, captchas, devices),
        steps=SigninSteps(hasher, settings.second_step_ttl, settings.second_step_attempts),
        links=Links(hasher),
    )


class ConsentryApp(FastAPI):
    """FastAPI behind the body limit and the protocol adapter: the protocol endpoints are answered
    before FastAPI's own middleware stack (telemetry, error pages) runs, which costs more than the
    token itself; the adapter adds the same security headers and maps its own errors. The body
    limit (web/body_limit.py) stands in front of both, so no request body escapes it."""

    front: ASGIApp | None = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if self.front is not None:
            await self.front(scope, receive, send)
        else:
            await super().__call__(scope, receive, send)


def _wants_html(request: Request) -> bool:
    return "text/html" in request.headers.get("accept", "") and request.method == "GET"


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or Settings()
    if settings.environment != "production":
        # HTTPS is enforced where it belongs, in Settings (production refuses an http issuer);
        # outside production, Authlib may serve a plain-http dev issuer on a LAN name.
        os.environ.setdefault("AUTHLIB_INSECURE_TRANSPORT", "1")
    rt = build_runtime(settings)
    rt.ctx.keys.ensure()

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        # Clients of the reference platform put tokens in /tokeninfo URLs: keep them out of the access log.
        log_redaction.install()
        janitor = start_janitor(
            rt.ctx.db, settings.janitor_interval, also=partial(verification_sweep, rt.ctx.db, settings.issuer)
        )
        # Mail written to the outbox by any request is delivered by this thread (retries, backoff).
        mailer = start_mailer(
            rt.ctx.db,
            SmtpConfig.parse(settings.smtp_url),
            settings.mail_interval,
            mail_from=settings.mail_from,
            # ... and so are the security events queued for apps (DATA-2, DATA-4).
            events=events_runner(
                rt.ctx.db,
                rt.ctx.keys,
                timeout=settings.events_timeout,
                allow_private=settings.fetch_allow_private,
            ),
        )
        # Views that queue mail wake it after their commit (web/mail_wake.py): prompt delivery.
        _app.state.mailer = mailer
        yield
        _app.state.metrics.flush()  # a stopping worker's last counts still reach the shared total
        mailer.stop()
        janitor.stop()
        rt.token_store.close()
        rt.ctx.db.dispose()

    app = ConsentryApp(
        title="Consentry",
        version=__version__,
        lifespan=lifespan,
        docs_url=None,
        redoc_url=None,
        description="Self-hostable authorization platform: OAuth 2.0, OpenID Connect, consent.",
    )
    app.state.runtime = rt
    app.state.settings = settings
    app.state.metrics = Metrics()
    app.add_route("/metrics", app.state.metrics.protected(settings), include_in_schema=False)
    pages = (signin.router, device.router, home.router, scopes.router, api_reference.router, picker.router)
    consoles = (console_pages.router, review_pages.router, review_api.router)
    console_api = (projects_api.router, clients_api.router, verification_api.router)
    for router in (oauth.router, scopes_api.router, *pages, *consoles, *console_api, *DATA_ROUTERS):
        app.include_router(router)
    app.include_router(app_logo.router)  # the consent screen's app logo
    for router in LEGACY_ROUTERS:  # OAuth 1.0a, AuthSub, ClientLogin, the widget proxy (issue 15)
        app.include_router(router)
    app.include_router(help_pages.router)  # the user help on managing data (CONSENT-7)
    app.include_router(account_pages.router)  # the user's apps, receipts, reports (DATA-1)
    app.include_router(signin_verify.router)  # the second step of signing in: /signin/verify (ACCT-3)
    app.include_router(account_security.router)  # two-step verification on the account (ACCT-3)
    app.include_router(account_sessions.router)  # where the account is signed in (ACCT-5)
    app.include_router(account_app_passwords.router)  # app-specific passwords (ACCT-4)
    app.include_router(account_delete.router)  # deleting one's account (ACCT-6)
    app.include_router(passkey_pages.router)  # passkeys: sign-in, second step, /account/passkeys (ACCT-3)
    app.include_router(password_reset.router)  # forgotten password by a mailed link (ACCT-1)
    app.include_router(signup_pages.router)  # sign-up per CONSENTRY_SIGNUP (ACCT-6)
    app.include_router(invitation_pages.router)  # org invitations and accepting them (ACCT-6)
    app.include_router(review_reports.router)  # users' reports of apps, for reviewers
    app.include_router(ssf.router)  # /.well-known/ssf-configuration: the security events sent (DATA-4)
    app.include_router(events_api.router)  # a project's events endpoint over JSON
    app.include_router(review_deletions.router)  # overdue deletion requests, for reviewers (DATA-2)
    for router in ORG_ADMIN_ROUTERS:  # the organization admin console, /admin (issue 14)
        app.include_router(router)
    app.include_router(orgs_api.router)  # the same over JSON: /api/v1/orgs/{domain}/...
    app.include_router(org_requests.router)  # members ask their admins for a refused app
    # security incidents (SEC-6): the project's console section, the reviewers' pages, the JSON API
    app.include_router(console_incidents.router)
    app.include_router(review_incidents.router)
    app.include_router(incidents_api.router)
    app.include_router(incidents_api.review_router)
    # The sample data APIs are guarded by consentry.guard itself, with an in-process verifier.
    app.state.data_guard = Guard(LocalVerifier(rt.token_store, rt.ctx.hasher), realm=DATA_REALM)
    app.state.data_guard.install(app)
    protocol_openapi.install(app)
    app.mount("/static", StaticFiles(directory=STATIC), name="static")

    @app.get("/healthz", include_in_schema=False)
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @app.exception_handler(RequestValidationError)
    async def bad_input(request: Request, exc: RequestValidationError) -> Response:
        if _wants_html(request):
            return error_page("Bad request", "The request was malformed.", 400, "invalid_request")
        return JSONResponse({"error": "invalid_request", "error_description": "Malformed request"}, 400)

    @app.exception_handler(SignInRequired)
    async def sign_in_first(request: Request, exc: SignInRequired) -> Response:
        if request.url.path.startswith("/api/"):
            body = {"error": "unauthenticated", "error_description": "Sign in first (a browser session)."}
            return JSONResponse(body, 401)
        return RedirectResponse(signin_redirect(exc.next_path, exc.email), status_code=303)

    @app.exception_handler(DomainError)
    async def domain_error(request: Request, exc: DomainError) -> Response:
        api = request.url.path.startswith("/api/")
        if not api and "text/html" in request.headers.get("accept", ""):  # a browser's form or page
            return error_page("This request can't be completed", exc.message, http_status(exc), exc.code)
        return JSONResponse({"error": exc.code, "error_description": exc.message}, http_status(exc))

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> Response:
        if _wants_html(request):
            return error_page(
                "Not found" if exc.status_code == 404 else "Error", str(exc.detail), exc.status_code
            )
        return JSONResponse(
            {
                "error": "not_found" if exc.status_code == 404 else "error",
                "error_description": str(exc.detail),
            },
            exc.status_code,
        )

    @app.exception_handler(ClientDisconnect)
    async def client_gone(request: Request, exc: ClientDisconnect) -> Response:
        # The caller hung up mid-request (ISSUE-9.4): nobody to answer and nothing to trace back;
        # BodyLimit logs the ones it sees, at debug level.
        return Response(status_code=400)

    async def storage_down(request: Request, exc: Exception) -> Response:
        """The same answer as the protocol endpoints (protocol/oauth2/errors.py): try again shortly."""
        log.error("storage unavailable on %s %s: %r", request.method, request.url.path, exc)
        retry = {"Retry-After": str(RETRY_AFTER)}
        if "text/html" in request.headers.get("accept", ""):
            page = error_page("Try again in a moment", "The service is briefly unavailable.", 503)
            page.headers.update(retry)
            return page
        body = {"error": "temporarily_unavailable", "error_description": "Try again in a moment."}
        return JSONResponse(body, 503, headers=retry)

    for outage in STORAGE_ERRORS:
        app.add_exception_handler(outage, storage_down)

    @app.exception_handler(Exception)
    async def crash(request: Request, exc: Exception) -> Response:
        # Logged in full for operators; the caller never sees a stack trace.
        log.exception("unhandled error on %s %s", request.method, request.url.path)
        if _wants_html(request):
            return error_page("Something went wrong", "Try again in a moment.", 500, "server_error")
        return JSONResponse({"error": "server_error", "error_description": "Internal error"}, 500)

    app.add_middleware(SecurityHeaders, https=settings.secure_cookies)
    app.add_middleware(LegacyGateway, settings=settings)
    adapter = ProtocolAdapter(
        partial(FastAPI.__call__, app), rt, app.state.metrics, https=settings.secure_cookies
    )
    # Outermost, so every body (the adapter's included) is bounded before anything reads it.
    app.front = BodyLimit(adapter, RouteTable(), settings.body_read_timeout, https=settings.secure_cookies)
    return app
