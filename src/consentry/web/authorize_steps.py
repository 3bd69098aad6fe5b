"""The authorization flow's writes, each one unit of work run in a worker thread: pausing,
presenting a page with its disclosure, counting a pass of the unverified-app screen, recording a
consent decision, and telling a developer of a refusal."""

from __future__ import annotations

from dataclasses import replace
from typing import Any, Literal

from authlib.oauth2.rfc6749.errors import AccessDeniedError
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from consentry.domain.clients.snapshot import ClientSnapshot
from consentry.domain.consent import entry, notices, screens, unverified
from consentry.domain.consent.decide import Recorded, Who, record_decision
from consentry.domain.policy.checks.unverified_app import CAP_REACHED, unapproved
from consentry.domain.policy.decision import Decision
from consentry.domain.policy.facts import Ask, Moment, OrgPolicy, Standing, Subject
from consentry.domain.tokens.records import UserRecord
from consentry.domain.tokens.store import Found
from consentry.protocol.oauth2.context import ProtocolContext
from consentry.protocol.oauth2.policy import PolicyRefusal, on_the_wire
from consentry.protocol.starlette import StarletteOAuth2Request
from consentry.storage.tables import Interaction
from consentry.storage.tables.base import now
from consentry.web.authorize_outcome import Outcome, error_outcome, first_param, page_error
from consentry.web.consent_view import Page, disclose, shown
from consentry.web.flow_store import FlowStore
from consentry.web.render import ask_admins_url
from consentry.web.session import BrowserState, Sessions


class FlowSteps:
    def __init__(self, ctx: ProtocolContext, sessions: Sessions) -> None:
        self.ctx = ctx
        self.sessions = sessions
        self.flows = FlowStore(ctx, sessions)

    # Kept for the sign-in and account-choice pages, which pin the account on a paused flow.
    def resume(self, db: Session, state: BrowserState, flow: str) -> Interaction | None:
        return self.flows.resume(db, state, flow)

    def pause_signin(
        self, out: Outcome, state: BrowserState, params: list[tuple[str, str]], address: str
    ) -> Outcome:
        with self.ctx.db.unit_of_work() as db:
            if out.quota_client is not None:
                refused = self.ctx.quotas.authorize(db, address, out.quota_client)
                if refused is not None:
                    over = page_error(
                        "temporarily_unavailable",
                        429,
                        "Too many sign-in requests came from your network or for this app. "
                        f"Wait {refused.retry_after} seconds and try again.",
                    )
                    assert over.context is not None
                    over.context["retry_after"] = refused.retry_after
                    return over
            flow = self.flows.pause(db, state, params, out.pause_user_id)
        return replace(out, flow=flow, pause=False)

    def present(self, out: Outcome, state: BrowserState, params: list[tuple[str, str]]) -> Outcome:
        """Pause the flow if it is not yet, and read the disclosure the page shows."""
        assert out.page is not None
        with self.ctx.db.unit_of_work() as db:
            flow = out.flow
            if out.pause or not flow:
                flow = self.flows.pause(db, state, params, out.pause_user_id, out.passed)
            d = disclose(db, out.page, self.ctx.catalogue, self.ctx.settings.operator_name)
        return replace(out, flow=flow, pause=False, context={**(out.context or {}), "disclosure": d})

    def counted(self, project_id: int, user_ids: list[int]) -> frozenset[int]:
        with self.ctx.db.unit_of_work() as db:
            return unverified.counted(db, project_id, user_ids)

    def count(self, project_id: int, user_id: int) -> bool:
        cap = self.ctx.settings.unverified_user_cap
        with self.ctx.db.unit_of_work() as db:
            if unverified.count_pass(db, project_id, user_id, cap, self.ctx.issuer):
                return True
        self.notify(project_id, CAP_REACHED)
        return False

    def notify(self, project_id: int, decision: Decision) -> None:
        with self.ctx.db.unit_of_work() as db:
            notices.tell_developer(
                db, project_id, decision.reason_code, decision.explanation, self.ctx.issuer
            )

    def record(
        self,
        flow: str,
        page: Page,
        user: UserRecord,
        client: ClientSnapshot,
        requested: list[str],
        checked: list[str],
        allow: bool,
        digest: str,
    ) -> Recorded | Literal["changed"] | None:
        """Record the decision against the disclosure shown; "changed" if what the page showed is
        no longer what the app discloses (the user must see it again), None if the request is gone.

        A Cancel ends the request here. An Allow leaves it to the code's commit, which claims it
        (``Changes.claim_flow``): a code that is not written leaves the request to be resumed, and
        of one decision sent twice at once only one gets a code (both are on record)."""
        with self.ctx.db.unit_of_work() as db:
            d = disclose(db, page, self.ctx.catalogue, self.ctx.settings.operator_name)
            if allow and digest != d.digest:
                return "changed"  # only an Allow needs to match what was shown; Cancel always ends
            if not (self.flows.pending(db, flow) if allow else self.flows.take(db, flow)):
                return None
            who = Who(
                user.id, user.email, client.id, client.client_id, client.project_id, client.project_status
            )
            return record_decision(
                db,
                who,
                requested=requested,
                offered=list(page.asked),
                checked=checked,
                allow=allow,
                shown=shown(d),
                app_name=d.app.name,
                protocol="oauth2",
                testing_ttl=self.ctx.settings.testing_refresh_token_ttl,
            )

    def _plan(
        self,
        grant: Any,
        user: UserRecord,
        requested: list[str],
        have: frozenset[str],
        prompts: set[str],
        passed: frozenset[str],
        counted: frozenset[int] | None,
        org: OrgPolicy | None = None,
    ) -> entry.Plan:
        """The gate's plan for one signed-in account: what to ask, which screen, or a refusal."""
        cap = self.ctx.settings.unverified_user_cap
        if counted is not None:
            passed = screens.trusted(passed, counted=user.id in counted)
        return entry.plan(
            grant.client.row.app,
            Subject(user.id, user.email, user.hosted_domain, org),
            requested,
            have,
            classes=self.ctx.catalogue.classes,
            now=now(),
            prompts=prompts,
            passed=passed,
            standing=None if counted is None else Standing(cap, user.id in counted),
        )

    async def counted_for(self, found: Found, params: list[tuple[str, str]]) -> frozenset[int] | None:
        """Who among the session's accounts was counted toward the app's unverified-user cap; read
        only for an app whose request would meet the unverified-app screen (None otherwise)."""
        client = found.client
        if client is None or not found.accounts:
            return None
        scopes = tuple((first_param(params, "scope") or "").split())
        if not unapproved(client.app, Ask(Moment.AUTHORIZE, scopes, self.ctx.catalogue.classes)):
            return None
        users = [a.user.id for a in found.accounts]
        return await run_in_threadpool(self.counted, client.app.project_id, users)

    def denied(self, grant: Any, req: StarletteOAuth2Request) -> Outcome:
        err = AccessDeniedError(redirect_uri=grant.redirect_uri, state=req.payload.state)
        return error_outcome(err, self.ctx.issuer)

    def refusal(self, decision: Decision, grant: Any, req: StarletteOAuth2Request) -> Outcome:
        """The gate's refusal: back to the app when the app can fix it, else a page for the user."""
        if decision.redirect:
            err = PolicyRefusal(
                decision.error or "access_denied",
                on_the_wire(decision.explanation),
                redirect_uri=grant.redirect_uri,
                state=req.payload.state,
            )
            out = error_outcome(err, self.ctx.issuer)
        else:
            out = page_error(decision.error or "access_denied", 403, decision.explanation)
            assert out.context is not None
            out.context["reason"] = decision.reason_code
            client = grant.client.row
            out.context["title"] = refusal_title(decision, client.app.app_name or client.name)
            out.context["ask_url"] = ask_admins_url(client.project_id, decision.ask_admin)
        if decision.tell_developer:
            out = replace(out, notice=decision, project_id=grant.client.row.project_id)
        return out


def refusal_title(decision: Decision, app: str) -> str:
    """The refusal page's heading names the app, as the reference platform's does."""
    if decision.reason_code == "unverified_cap_reached":
        return f"Sign-in to {app} is disabled for new users"
    return f"{app} can't be used"
