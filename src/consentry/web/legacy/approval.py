"""The approval page of every legacy protocol: the OAuth 2.0 policy gate, its screens and consent.

OAuth 1.0a's OAuthAuthorizeToken and AuthSub's AuthSubRequest both end here, so a legacy app meets
exactly what an OAuth 2.0 app meets (the gate's refusals, the testing and unverified-app screens
with the user cap, the consent page with one box per data scope, the receipt) and is never a back
door past them. Each protocol supplies a :class:`Pending` (what is asked, and the hidden fields
that identify its request) and what to do once the user decided; the decision itself is the
domain's (``consent.entry.plan``, ``consent.decide.record_decision``). The same steps as /device:
``screen`` (back, or go on past a screen) and ``decide`` (the consent form).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from urllib.parse import urlencode

from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from consentry.domain.clients.snapshot import ClientSnapshot
from consentry.domain.consent import entry, screens
from consentry.domain.consent.decide import Who, record_decision
from consentry.domain.orgs.policy_facts import org_policy
from consentry.domain.policy.checks.unverified_app import CAP_REACHED, unapproved
from consentry.domain.policy.decision import Decision
from consentry.domain.policy.facts import Ask, Moment, OrgPolicy, Standing, Subject
from consentry.domain.tokens.store import Changes, Lookup, Outcome
from consentry.storage.tables import User
from consentry.storage.tables.base import now
from consentry.web import consent_view
from consentry.web.authorize_outcome import accounts_for_hd
from consentry.web.render import ask_admins_url, error_page, render
from consentry.web.runtime import Runtime, runtime


@dataclass(frozen=True, slots=True)
class Pending:
    """A legacy request waiting for a user's decision."""

    protocol: str
    client_id: str
    #: Catalogue scope URIs (domain/legacy/scope_map.py).
    scopes: tuple[str, ...]
    #: Hidden fields that identify the request when the forms post back (e.g. ``oauth_token``).
    fields: dict[str, str]
    #: Where the forms post, and the page to come back to after signing in.
    form_action: str
    here: str
    hd: str = ""
    claimed_name: str | None = None
    claimed_domain: str | None = None


@dataclass(frozen=True, slots=True)
class Account:
    id: int
    email: str
    name: str
    org_domain: str | None


@dataclass(frozen=True, slots=True)
class Issue:
    """What an approval issues through the token store, and the answer once it is stored."""

    changes: Changes
    answer: Response


#: Runs in the unit of work that recorded the decision: (db, account, scopes granted) -> answer,
#: or tokens to issue first.
Allowed = Callable[[Session, Account, tuple[str, ...]], Response | Issue]
#: The user said no (or went back from a screen): (db, account) -> answer.
Denied = Callable[[Session, Account], Response]


def _account(rt: Runtime, request: Request, hd: str) -> Account | None:
    state = rt.sessions.state(request)
    with rt.ctx.db.unit_of_work() as db:
        users: list[User] = accounts_for_hd(rt.sessions.accounts(db, state), hd or None)
        if not users:
            return None
        u = users[0]
        return Account(u.id, u.email, u.name or "", u.hosted_domain)


def _org_rules(rt: Runtime, account: Account, project_id: int) -> OrgPolicy | None:
    with rt.ctx.db.unit_of_work() as db:
        return org_policy(db, account.org_domain, project_id, account.id)


def _signin(pending: Pending) -> Response:
    return RedirectResponse("/signin?" + urlencode({"next": pending.here}), status_code=303)


async def approve(
    request: Request, pending: Pending, form: FormData | None, allowed: Allowed, denied: Denied
) -> Response:
    """GET (``form`` None) shows what the gate asks for; POST answers a screen or the consent."""
    rt = runtime(request)
    state = rt.sessions.state(request)
    if form is not None and not rt.sessions.check_csrf(state, str(form.get("csrf", ""))):
        return error_page("Session check failed", "Go back and try again.", 403, "csrf")
    account = await run_in_threadpool(_account, rt, request, pending.hd)
    if account is None:
        return _signin(pending)
    client = (await rt.flow.store.lookup(Lookup(client_id=pending.client_id))).client
    if client is None or client.disabled:
        return error_page(
            "This app can't be used", "The app is no longer registered. Nothing was shared.", 400
        )
    classes = rt.ctx.catalogue.classes
    unverified = bool(unapproved(client.app, Ask(Moment.AUTHORIZE, pending.scopes, classes)))
    counted = unverified and account.id in await run_in_threadpool(
        rt.flow.counted, client.app.project_id, [account.id]
    )
    org = await run_in_threadpool(_org_rules, rt, account, client.app.project_id)
    posted = {str(v) for v in form.getlist("passed")} if form is not None else set()
    passed = screens.trusted(posted, counted=counted)

    def plan_for(passed: frozenset[str]) -> entry.Plan:
        return entry.plan(
            client.app,
            Subject(account.id, account.email, account.org_domain, org),
            list(pending.scopes),
            frozenset(),  # a legacy request always shows what it asks for: no silent re-approval
            classes=classes,
            now=now(),
            passed=passed,
            standing=Standing(rt.ctx.settings.unverified_user_cap, counted) if unverified else None,
        )

    plan = plan_for(passed)
    step = str(form.get("step", "")) if form is not None else ""
    if step == "screen" and form is not None and not plan.refused:
        if form.get("action") != "continue":
            return await _denied(rt, account, denied)
        screen = str(form.get("screen", ""))
        going = screens.going_past(plan, screen, counted=counted)
        if going.applies:
            if going.counts and not await run_in_threadpool(rt.flow.count, client.app.project_id, account.id):
                return await _refuse(rt, client, CAP_REACHED)
            counted = counted or going.counts
            passed = passed | {screen}
            plan = plan_for(passed)
    if plan.refused:
        return await _refuse(rt, client, plan.decision)
    page = consent_view.Page(
        client.id,
        account.email,
        account.name,
        pending.scopes,
        plan.to_ask,
        plan.screen,
        claimed_name=pending.claimed_name,
        claimed_domain=pending.claimed_domain,
    )
    csrf = rt.sessions.csrf_token(state)
    if step == "decide" and form is not None and not plan.screen:
        decided = await run_in_threadpool(
            _decide, rt, pending, account, client, page, form, csrf, passed, allowed, denied
        )
        return await _issued(rt, client, decided)
    return await run_in_threadpool(_present, rt, pending, page, csrf, passed)


def _present(
    rt: Runtime, pending: Pending, page: consent_view.Page, csrf: str, passed: frozenset[str]
) -> Response:
    with rt.ctx.db.unit_of_work() as db:
        d = consent_view.disclose(db, page, rt.ctx.catalogue, rt.ctx.settings.operator_name)
    switch = "/signin?" + urlencode({"next": pending.here})
    return render(
        page.template,
        **consent_view.context(d, csrf=csrf, switch_url=switch, legacy_fields=pending.fields),
        form_action=pending.form_action,
        passed=sorted(passed),
    )


def _decide(
    rt: Runtime,
    pending: Pending,
    account: Account,
    client: ClientSnapshot,
    page: consent_view.Page,
    form: FormData,
    csrf: str,
    passed: frozenset[str],
    allowed: Allowed,
    denied: Denied,
) -> Response | Issue:
    allow = form.get("action") == "allow"
    checked = [str(v) for v in form.getlist("scope")]
    with rt.ctx.db.unit_of_work() as db:
        d = consent_view.disclose(db, page, rt.ctx.catalogue, rt.ctx.settings.operator_name)
        if allow and str(form.get("disclosure", "")) != d.digest:
            changed = True  # the app's details changed while the page was open: show it again
        else:
            changed = False
            who = Who(
                account.id,
                account.email,
                client.id,
                client.client_id,
                client.project_id,
                client.project_status,
            )
            recorded = record_decision(
                db,
                who,
                requested=list(pending.scopes),
                offered=list(page.asked),
                checked=checked,
                allow=allow,
                shown=consent_view.shown(d),
                app_name=d.app.name,
                protocol=pending.protocol,
                testing_ttl=rt.ctx.settings.testing_refresh_token_ttl,
            )
            if allow:
                return allowed(db, account, tuple(recorded.ticks.agreed))
            return denied(db, account)
    assert changed
    return _present(rt, pending, page, csrf, passed)


async def _issued(rt: Runtime, client: ClientSnapshot, decided: Response | Issue) -> Response:
    """The approval's tokens committed with every other grant's; refused if the app changed
    (disabled, suspended) since the page read it."""
    if isinstance(decided, Response):
        return decided
    changes = replace(decided.changes, client=client)
    if await rt.token_store.commit(changes) is not Outcome.COMMITTED:
        return error_page(
            "This app can't be used",
            "The app changed while you were deciding, so it was given no access. Try again from the app.",
            409,
        )
    return decided.answer


async def _denied(rt: Runtime, account: Account, denied: Denied) -> Response:
    def work() -> Response:
        with rt.ctx.db.unit_of_work() as db:
            return denied(db, account)

    return await run_in_threadpool(work)


async def _refuse(rt: Runtime, client: ClientSnapshot, decision: Decision) -> Response:
    """The gate refused: the user reads why, on our page; the app gets nothing."""
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
