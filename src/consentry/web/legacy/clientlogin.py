"""POST /accounts/ClientLogin: the wire format of PLATFORM_RULES §3, byte for byte.

Old clients parse the body as ``key=value`` lines and use only ``Auth``; they are given exactly
the documented lines (``SID``/``LSID``/``Auth`` on success; ``Url``/``Error`` plus ``Info`` or
``CaptchaToken``/``CaptchaUrl`` on failure), as ``text/plain``. The decision is the domain's
(domain/legacy/clientlogin.py); this module only reads the form and writes the lines.
"""

from __future__ import annotations

from dataclasses import replace

from fastapi import APIRouter, Request
from starlette.concurrency import run_in_threadpool
from starlette.responses import PlainTextResponse, Response

from consentry.domain.accounts.app_passwords import hasher_for
from consentry.domain.clients.snapshot import ClientSnapshot
from consentry.domain.keys.envelope import Envelope
from consentry.domain.legacy import unregistered
from consentry.domain.legacy.clientlogin import ClientLogin, Error, Login, Outcome, new_sid
from consentry.domain.legacy.scope_map import LegacyScopes
from consentry.domain.tokens.store import Lookup
from consentry.domain.tokens.store import Outcome as Committed
from consentry.web.client_address import client_address
from consentry.web.runtime import Runtime, runtime

router = APIRouter(include_in_schema=False)

FORM = "application/x-www-form-urlencoded"
NO_STORE = {"Cache-Control": "no-store", "Pragma": "no-cache"}


def service(request: Request) -> ClientLogin:
    """One per application, built on first use from the runtime's parts."""
    state = request.app.state
    found: ClientLogin | None = getattr(state, "clientlogin", None)
    if found is None:
        rt = runtime(request)
        settings = rt.ctx.settings
        found = ClientLogin(
            units=rt.ctx.db.unit_of_work,
            signin=rt.signin,
            captchas=rt.captchas,
            hasher=rt.ctx.hasher,
            app_hasher=hasher_for(settings.secret_key),
            envelope=Envelope(settings.secret_key),
            scopes=LegacyScopes(rt.ctx.catalogue, rt.ctx.issuer),
            unverified_cap=settings.unverified_user_cap,
            issuer=rt.ctx.issuer,
        )
        state.clientlogin = found
    return found


def lines(*pairs: tuple[str, str | None]) -> str:
    return "".join(f"{k}={v}\n" for k, v in pairs if v is not None)


def answer(outcome: Outcome, issuer: str) -> Response:
    if outcome.status == 200 and outcome.auth:
        body = lines(("SID", new_sid()), ("LSID", new_sid()), ("Auth", outcome.auth))
        return PlainTextResponse(body, 200, headers=NO_STORE)
    error = outcome.error or Error.UNKNOWN
    if error is Error.CAPTCHA_REQUIRED:
        body = lines(
            ("Url", f"{issuer}/accounts/DisplayUnlockCaptcha"),
            ("Error", error.value),
            ("CaptchaToken", outcome.captcha_token),
            # Relative to /accounts/, as the reference platform's was.
            ("CaptchaUrl", f"Captcha?ctoken={outcome.captcha_token}"),
        )
    else:
        body = lines(
            ("Url", f"{issuer}/help/legacy#clientlogin"),
            ("Error", error.value),
            ("Info", outcome.info),
        )
    return PlainTextResponse(body, outcome.status, headers=NO_STORE)


async def _builtin(rt: Runtime) -> ClientSnapshot:
    def work() -> str:
        with rt.ctx.db.unit_of_work() as db:
            return unregistered.ensure(db, unregistered.Kind.CLIENTLOGIN, rt.ctx.catalogue).client_id

    client_id = await run_in_threadpool(work)
    client = (await rt.token_store.lookup(Lookup(client_id=client_id))).client
    assert client is not None
    return client


async def _issued(rt: Runtime, client: ClientSnapshot, outcome: Outcome) -> Outcome:
    """The token committed with every other grant's before it is handed out; if the built-in app
    changed meanwhile (an operator turned ClientLogin off), nothing was issued: try again."""
    if outcome.changes is None:
        return outcome
    if await rt.token_store.commit(replace(outcome.changes, client=client)) is not Committed.COMMITTED:
        return Outcome(503, Error.SERVICE_UNAVAILABLE, detail="the app changed while signing in")
    return outcome


@router.post("/accounts/ClientLogin")
async def client_login(request: Request) -> Response:
    rt = runtime(request)
    issuer = rt.ctx.issuer
    if request.headers.get("content-type", "").split(";")[0].strip().lower() != FORM:
        return answer(Outcome(400, Error.UNKNOWN), issuer)
    form = await request.form()

    def field(name: str) -> str:
        value = form.get(name)
        return value if isinstance(value, str) else ""

    login = Login(
        email=field("Email"),
        password=field("Passwd"),
        service=field("service"),
        source=field("source"),
        account_type=field("accountType") or "HOSTED_OR_GOOGLE",
        address=client_address(request.scope),
        captcha_token=field("logintoken"),
        captcha_answer=field("logincaptcha"),
    )
    client = await _builtin(rt)
    outcome = await run_in_threadpool(service(request).login, login, client.app, client.id)
    return answer(await _issued(rt, client, outcome), issuer)


@router.get("/accounts/ClientLogin")
async def client_login_get() -> Response:
    """The password goes in a POST body, never a URL (logs, proxies, history)."""
    return PlainTextResponse(
        lines(("Error", Error.UNKNOWN.value)), 405, headers={"Allow": "POST", **NO_STORE}
    )
