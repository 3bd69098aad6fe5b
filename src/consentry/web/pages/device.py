"""The device verification page (RFC 8628 section 3.3): enter the code, the screens the policy
gate asks for, then consent — the same entry point and pages as /authorize.

One URL, three steps: ``lookup`` (the code was typed), ``screen`` (back or go on past a screen)
and ``decide`` (the consent form). The screens passed travel as hidden ``passed`` fields: they
are the user's own choices, except going past the unverified-app screen, which only counts once
the server has counted the user toward the app's cap.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData
from starlette.responses import RedirectResponse, Response

from consentry.domain.audit import record
from consentry.domain.audit.tags import AuditTag, Channel
from consentry.domain.clients.snapshot import ClientSnapshot
from consentry.domain.consent import entry, screens
from consentry.domain.consent.decide import Who, record_decision
from consentry.domain.orgs.policy_facts import org_policy
from consentry.domain.policy.checks.unverified_app import CAP_REACHED, unapproved
from consentry.domain.policy.decision import Decision
from consentry.domain.policy.facts import Ask, Moment, OrgPolicy, Standing, Subject
from consentry.domain.tokens import device
from consentry.domain.tokens.store import Lookup
from consentry.protocol.oauth2.models import DEVICE_GRANT, may_use_grant
from consentry.storage.tables import Client
from consentry.storage.tables.base import now
from consentry.web import consent_view
from consentry.web.render import ask_admins_url, error_page, render
from consentry.web.runtime import Runtime, runtime
from consentry.web.session import BrowserState

router = APIRouter(include_in_schema=False)


@dataclass(frozen=True, slots=True)
class Asked:
    """The signed-in user and the pending device code they typed."""

    user_id: int
    email: str
    name: str
    org_domain: str | None
    client_id: str
    scopes: tuple[str, ...]


@router.get("/device")
async def device_page(request: Request, user_code: str = "") -> Response:
    rt = runtime(request)
    state = rt.sessions.state(request)

    def work() -> bool:
        with rt.ctx.db.unit_of_work() as db:
            return bool(rt.sessions.accounts(db, state))

    if not await run_in_threadpool(work):
        target = "/device" + ("?" + urlencode({"user_code": user_code}) if user_code else "")
        return RedirectResponse("/signin?" + urlencode({"next": target}), status_code=303)
    return render("device.html", csrf=rt.sessions.csrf_token(state), user_code=user_code, error=None)


@router.post("/device")
async def device_submit(request: Request) -> Response:
    rt = runtime(request)
    state = rt.sessions.state(request)
    form = await request.form()
    if not rt.sessions.check_csrf(state, str(form.get("csrf", ""))):
        return error_page("Session check failed", "Go back and try again.", 403, "csrf")
    user_code = str(form.get("user_code", ""))
    step = str(form.get("step", "lookup"))
    csrf = rt.sessions.csrf_token(state)

    def code_page(message: str) -> Response:
        return render("device.html", status_code=400, csrf=csrf, user_code=user_code, error=message)

    asked = await run_in_threadpool(_read, rt, state, user_code)
    if isinstance(asked, Response):
        return asked
    if asked is None:
        return code_page("That code is wrong or has expired. Check the device.")
    client = (await rt.flow.store.lookup(Lookup(client_id=asked.client_id))).client
    if client is None or client.disabled or not may_use_grant(client.client_type, DEVICE_GRANT):
        # Defence in depth: /device/code refuses such clients, but never approve their codes.
        return code_page("This app cannot use device sign-in. Nothing was shared.")
    requested = list(asked.scopes)
    unverified = bool(unapproved(client.app, Ask(Moment.AUTHORIZE, asked.scopes, rt.ctx.catalogue.classes)))
    counted = unverified and asked.user_id in await run_in_threadpool(
        rt.flow.counted, client.app.project_id, [asked.user_id]
    )
    passed = screens.trusted({str(v) for v in form.getlist("passed")}, counted=counted)
    org = await run_in_threadpool(_org_rules, rt, asked, client.app.project_id)

    def plan_for(passed: frozenset[str]) -> entry.Plan:
        return entry.plan(
            client.app,
            Subject(asked.user_id, asked.email, asked.org_domain, org),
            requested,
            frozenset(),  # a device always shows what it asks for: there is no silent re-approval
            classes=rt.ctx.catalogue.classes,
            now=now(),
            passed=passed,
            standing=Standing(rt.ctx.settings.unverified_user_cap, counted) if unverified else None,
        )

    plan = plan_for(passed)
    if step == "screen" and not plan.refused:
        if form.get("action") != "continue":
            return await _deny(rt, user_code, asked, None)
        screen = str(form.get("screen", ""))
        step_past = screens.going_past(plan, screen, counted=counted)
        if step_past.applies:
            if step_past.counts and not await run_in_threadpool(
                rt.flow.count, client.app.project_id, asked.user_id
            ):
                return await _refuse(rt, user_code, asked, client, CAP_REACHED)
            counted = counted or step_past.counts
            passed = passed | {screen}
            plan = plan_for(passed)
    if plan.refused:
        return await _refuse(rt, user_code, asked, client, plan.decision)
    page = consent_view.Page(client.id, asked.email, asked.name, asked.scopes, plan.to_ask, plan.screen)
    if step == "decide" and not plan.screen:
        return await run_in_threadpool(_decide, rt, user_code, asked, client, page, form, csrf, passed)
    return await run_in_threadpool(_present, rt, page, user_code, csrf, passed)


def _org_rules(rt: Runtime, asked: Asked, project_id: int) -> OrgPolicy | None:
    with rt.ctx.db.unit_of_work() as db:
        return org_policy(db, asked.org_domain, project_id, asked.user_id)


def _read(rt: Runtime, state: BrowserState, user_code: str) -> Asked | Response | None:
    with rt.ctx.db.unit_of_work() as db:
        accounts = rt.sessions.accounts(db, state)
        if not accounts:
            return RedirectResponse("/signin?" + urlencode({"next": "/device"}), status_code=303)
        user = accounts[0]
        row = device.by_user_code(db, rt.ctx.hasher, user_code)
        client = None if row is None else db.get(Client, row.client_pk)
        if row is None or client is None:
            return None
        return Asked(
            user.id,
            user.email,
            user.name or "",
            user.hosted_domain,
            client.client_id,
            tuple(row.scope.split()),
        )


def _present(
    rt: Runtime, page: consent_view.Page, user_code: str, csrf: str, passed: frozenset[str]
) -> Response:
    with rt.ctx.db.unit_of_work() as db:
        d = consent_view.disclose(db, page, rt.ctx.catalogue, rt.ctx.settings.operator_name)
    return render(
        page.template,
        **consent_view.context(d, csrf=csrf, device_code=user_code, switch_url=_switch_url(user_code)),
        form_action="/device",
        passed=sorted(passed),
    )


def _decide(
    rt: Runtime,
    user_code: str,
    asked: Asked,
    client: ClientSnapshot,
    page: consent_view.Page,
    form: FormData,
    csrf: str,
    passed: frozenset[str],
) -> Response:
    allow = form.get("action") == "allow"
    checked = [str(v) for v in form.getlist("scope")]
    digest = str(form.get("disclosure", ""))
    with rt.ctx.db.unit_of_work() as db:
        d = consent_view.disclose(db, page, rt.ctx.catalogue, rt.ctx.settings.operator_name)
        if allow and digest != d.digest:  # the app's details changed while the page was open
            changed = True
        else:
            changed = False
            row = device.by_user_code(db, rt.ctx.hasher, user_code)
            if row is None:
                return render(
                    "device.html",
                    status_code=400,
                    csrf=csrf,
                    user_code=user_code,
                    error="That code is wrong or has expired. Check the device.",
                )
            who = Who(
                asked.user_id,
                asked.email,
                client.id,
                client.client_id,
                client.project_id,
                client.project_status,
            )
            recorded = record_decision(
                db,
                who,
                requested=list(asked.scopes),
                offered=list(page.asked),
                checked=checked,
                allow=allow,
                shown=consent_view.shown(d),
                app_name=d.app.name,
                protocol="device",
                testing_ttl=rt.ctx.settings.testing_refresh_token_ttl,
            )
            if allow:
                device.decide(row, asked.user_id, " ".join(recorded.ticks.agreed))
            else:
                device.decide(row, asked.user_id, None)
                record(
                    db,
                    AuditTag.DEVICE_DENY,
                    actor=asked.email,
                    data={"client_pk": client.id},
                    channel=Channel.WEB,
                )
    if changed:
        return _present(rt, page, user_code, csrf, passed)
    return render("device_done.html", approved=allow, client=client, app_name=d.app.name)


async def _deny(rt: Runtime, user_code: str, asked: Asked, refusal: str | None) -> Response:
    def work() -> None:
        with rt.ctx.db.unit_of_work() as db:
            row = device.by_user_code(db, rt.ctx.hasher, user_code)
            if row is not None:
                device.decide(row, asked.user_id, None, refusal)

    await run_in_threadpool(work)
    return render("device_done.html", approved=False)


async def _refuse(
    rt: Runtime, user_code: str, asked: Asked, client: ClientSnapshot, decision: Decision
) -> Response:
    """The gate refused: the device learns the error code, the user reads why."""
    await _deny(rt, user_code, asked, _refusal(decision))
    if decision.tell_developer:
        await run_in_threadpool(rt.flow.notify, client.app.project_id, decision)
    return error_page(
        "This app can't be used",
        decision.explanation,
        403,
        decision.error,
        decision.reason_code,
        ask_admins_url(client.app.project_id, decision.ask_admin),
    )


def _refusal(decision: Decision) -> str:
    """ "error:reason" for the device's poll (device_codes.refusal, 40 characters): the error alone
    when the reason is the same word (``admin_policy_enforced``)."""
    error = decision.error or "access_denied"
    return error if error == decision.reason_code else f"{error}:{decision.reason_code}"[:40]


def _switch_url(user_code: str) -> str:
    """Sign in with another account and come back to this code: the newest account decides."""
    return "/signin?" + urlencode({"next": "/device?" + urlencode({"user_code": user_code})})
