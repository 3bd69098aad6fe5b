"""The authorization endpoint's flow: which account, the policy gate, screens, consent, the code.

States (diagram: docs/flows.md; the gate: docs/policy.md)::

  validate -> [no account] sign-in -> [several] choose -> gate: refuse | screen -> gate again
    | [new scopes | prompt=consent] consent -> code | code

A request is one token-store lookup (the client with its project's policy facts, the browser's
accounts and their grants, the nonce), a decision on those records alone while Authlib runs
(:meth:`AuthorizeFlow.decide`, which calls the domain's ``consent.entry.plan``), then one commit of
the code. Only a pause, a screen or a consent writes through a unit of work (``authorize_steps``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from typing import Any

from authlib.oauth2.rfc6749.errors import OAuth2Error
from authlib.oidc.core.errors import AccountSelectionRequiredError, ConsentRequiredError, LoginRequiredError
from starlette.concurrency import run_in_threadpool

from consentry.domain.accounts.freshness import SIGNED_IN, must_sign_in_again, parse_max_age
from consentry.domain.clients.redirect_uris import display_authority
from consentry.domain.clients.snapshot import ClientCache
from consentry.domain.policy.checks.unverified_app import CAP_REACHED
from consentry.domain.policy.facts import OrgPolicy
from consentry.domain.tokens.records import UserRecord
from consentry.domain.tokens.store import Found, Lookup, TokenStore
from consentry.domain.tokens.store import Outcome as Committed
from consentry.protocol.oauth2.exchange import Exchange, bound
from consentry.protocol.oauth2.issuer import with_issuer
from consentry.protocol.oauth2.params import param_error
from consentry.protocol.oauth2.server import ConsentryServer
from consentry.protocol.starlette import StarletteOAuth2Request
from consentry.storage.tables.base import now
from consentry.web.authorize_outcome import (
    Outcome,
    accounts_for_hd,
    build_request,
    error_outcome,
    expired,
    first_param,
    matches_hint,
    page_error,
    pick_account,
    to_signin,
)
from consentry.web.authorize_steps import FlowSteps
from consentry.web.consent_view import Page
from consentry.web.session import BrowserState, Sessions


class AuthorizeFlow(FlowSteps):
    def __init__(
        self, server: ConsentryServer, sessions: Sessions, store: TokenStore, clients: ClientCache
    ) -> None:
        super().__init__(server.ctx, sessions)
        self.server = server
        self.store = store
        self.clients = clients

    # --- the endpoint -------------------------------------------------------------------
    def lookup_for(self, state: BrowserState, params: list[tuple[str, str]]) -> Lookup:
        return Lookup(
            client_id=first_param(params, "client_id"),
            session_hash=None if state.fresh else self.sessions.sid_hash(state),
            nonce=first_param(params, "nonce"),
        )

    async def prepare(
        self,
        state: BrowserState,
        params: list[tuple[str, str]],
        chosen_id: int | None = None,
        flow: str | None = None,
        passed: frozenset[str] = frozenset(),
    ) -> tuple[Outcome, Exchange]:
        """One lookup (and, for an unverified app, who was counted), then the decision on what it
        found; nothing is written yet."""
        found = await self.store.lookup(self.lookup_for(state, params))
        counted = await self.counted_for(found, params)
        orgs = found.org_rules
        exchange = Exchange(found)
        with bound(exchange):
            return self.decide(found, params, chosen_id, flow, passed, counted, orgs), exchange

    async def run(
        self,
        state: BrowserState,
        params: list[tuple[str, str]],
        chosen_id: int | None = None,
        flow: str | None = None,
        *,
        address: str,
        passed: frozenset[str] = frozenset(),
    ) -> Outcome:
        """``address`` is the client's (web/client_address.py), for the anonymous writers' quota."""
        out, exchange = await self.prepare(state, params, chosen_id, flow, passed)
        return await self.complete(out, exchange, state, params, address, flow)

    async def complete(
        self,
        out: Outcome,
        exchange: Exchange,
        state: BrowserState,
        params: list[tuple[str, str]],
        address: str,
        flow: str | None = None,
    ) -> Outcome:
        """Store what the decision needs stored: the code, the paused flow, the page's disclosure."""
        if out.kind == "code":
            if flow:  # ended by the code's own commit: a code not written leaves it to resume
                exchange.changes.claim_flow = self.flows.key(flow)
            return await self.commit_code(out, exchange)
        if out.page is not None:
            return await run_in_threadpool(self.present, out, state, params)
        if out.pause:
            return await run_in_threadpool(self.pause_signin, out, state, params, address)
        if out.notice is not None and out.project_id is not None:
            await run_in_threadpool(self.notify, out.project_id, out.notice)
        return out

    async def commit_code(self, out: Outcome, exchange: Exchange) -> Outcome:
        exchange.changes.client = exchange.found.client
        committed = await self.store.commit(exchange.changes)
        if committed is Committed.COMMITTED:
            return Outcome("redirect", location=out.location)
        if committed is Committed.FLOW_ENDED:  # another answer to the request ended it first
            return expired()
        if exchange.found.client is not None:
            self.clients.drop(exchange.found.client.client_id)
        return page_error("temporarily_unavailable", 503, "The app's settings changed just now. Try again.")

    def decide(
        self,
        found: Found,
        params: list[tuple[str, str]],
        chosen_id: int | None,
        flow: str | None,
        passed: frozenset[str] = frozenset(),
        counted: frozenset[int] | None = None,
        orgs: Mapping[int, OrgPolicy] | None = None,
    ) -> Outcome:
        """The whole decision on prefetched records; call inside ``bound(exchange)``."""
        try:
            return self._decide(found, params, chosen_id, flow, passed, counted, orgs or {})
        except ValueError:
            # Authlib refuses to build an error whose description would echo non-ASCII input.
            return page_error("invalid_request", 400, "The app sent a malformed request.")

    def _decide(
        self,
        found: Found,
        params: list[tuple[str, str]],
        chosen_id: int | None,
        flow: str | None,
        passed: frozenset[str],
        counted: frozenset[int] | None,
        orgs: Mapping[int, OrgPolicy],
    ) -> Outcome:
        req = build_request(self.ctx.issuer, params)
        data = req.payload.data
        if bad := param_error(data):
            # A page, never a redirect: a repeated redirect_uri or client_id leaves open where to.
            return page_error("invalid_request", 400, f"The app sent a malformed request. {bad}")
        prompts = set((data.get("prompt") or "").split())
        try:
            grant = self.server.get_consent_grant(req, end_user=None)
        except OAuth2Error as err:
            # LoginRequired is raised by Authlib for prompt=none before we look at accounts.
            if not isinstance(err, LoginRequiredError):
                return error_outcome(err, self.ctx.issuer)
            grant = None
        accounts = accounts_for_hd([a.user for a in found.accounts], data.get("hd"))
        hint = data.get("login_hint")
        user = pick_account(accounts, hint, chosen_id)
        if grant is None:
            if user is None:
                many = len(accounts) > 1 and not hint
                cls = AccountSelectionRequiredError if many else LoginRequiredError
                return error_outcome(self._redirect_error(req, cls), self.ctx.issuer)
            grant = self.server.get_consent_grant(req, end_user=user)
        redirect_uri = grant.redirect_uri
        none = "none" in prompts
        if user is None or (chosen_id is None and "select_account" in prompts):
            if none:
                err_cls = AccountSelectionRequiredError if len(accounts) > 1 else LoginRequiredError
                return error_outcome(
                    err_cls(redirect_uri=redirect_uri, state=data.get("state")), self.ctx.issuer
                )
            kind = "signin"
            context: dict[str, Any] = {"email": hint or ""}
            if (
                accounts
                and (len(accounts) > 1 or "select_account" in prompts)
                and not (hint and not any(matches_hint(a, hint) for a in accounts))
            ):
                kind, context = "choose", {"accounts": accounts}
            return to_signin(kind, context, flow, grant)
        account = found.account(user.id)
        if must_sign_in_again(
            prompts,
            parse_max_age(data.get("max_age")),
            account.authenticated_at if account else 0,
            signed_in_now=SIGNED_IN in passed,
            now=now(),
        ):
            if none:
                return error_outcome(
                    LoginRequiredError(redirect_uri=redirect_uri, state=data.get("state")), self.ctx.issuer
                )
            return to_signin("signin", {"email": user.email}, flow, grant)
        requested = (req.scope or "").split()
        have = found.consents.get(user.id, frozenset())
        plan = self._plan(grant, user, requested, have, prompts, passed, counted, orgs.get(user.id))
        if plan.refused:
            return self.refusal(plan.decision, grant, req)
        if plan.screen or plan.consent_due:
            if none:
                return error_outcome(
                    ConsentRequiredError(redirect_uri=redirect_uri, state=data.get("state")), self.ctx.issuer
                )
            page = Page(
                grant.client.row.id, user.email, user.name, tuple(requested), plan.to_ask, plan.screen
            )
            return Outcome(
                "screen" if plan.screen else "consent",
                flow=flow or "",
                pause=not flow,
                pause_user_id=user.id,
                page=page,
                passed=passed,
                project_id=grant.client.row.project_id,
                context={"redirect_host": display_authority(redirect_uri)},
            )
        return self.issue(found, req, grant, user, requested, have, found.consent_lapses.get(user.id))

    def _redirect_error(self, req: StarletteOAuth2Request, cls: type[OAuth2Error]) -> OAuth2Error:
        client = self.server.query_client(req.payload.client_id or "")
        uri = (
            req.payload.redirect_uri
            if client and client.check_redirect_uri(req.payload.redirect_uri)
            else None
        )
        return cls(redirect_uri=uri, state=req.payload.state)

    def issue(
        self,
        found: Found,
        req: StarletteOAuth2Request,
        grant: Any,
        user: UserRecord,
        requested: list[str],
        have: frozenset[str],
        lapses_at: int | None = None,
    ) -> Outcome:
        """Authlib writes the code into the exchange; the caller commits it (:meth:`commit_code`)."""
        data = req.payload.data
        scope = [s for s in requested if s in have]
        if data.get("include_granted_scopes") == "true":
            scope += sorted(s for s in have if s not in scope)  # AUTH2-3: union with what was granted
        account = found.account(user.id)
        req.consentry.update(
            scope=" ".join(scope),
            offline=data.get("access_type") == "offline",
            auth_time=account.authenticated_at if account else now(),
            amr=account.amr if account else None,
            grant_lapses_at=lapses_at,
        )
        _status, _body, headers = self.server.create_authorization_response(req, grant_user=user, grant=grant)
        return Outcome("code", location=with_issuer(dict(headers).get("Location", ""), self.ctx.issuer))

    # --- the user's answers: a screen passed, consent given or refused -----------------
    async def _resumed(
        self, state: BrowserState, flow: str
    ) -> tuple[Outcome | None, Any, Found, UserRecord | None, StarletteOAuth2Request, Any]:
        """A paused flow read again: (an outcome that ends it, or None), paused, found, user, req, grant."""
        paused = await run_in_threadpool(self.flows.read, state, flow)
        if paused is None or paused.user_id is None:
            return expired(), None, Found(), None, build_request(self.ctx.issuer, []), None
        found = await self.store.lookup(self.lookup_for(state, paused.params))
        account = found.account(paused.user_id)
        user = account.user if account else None
        req = build_request(self.ctx.issuer, paused.params)
        if user is None:
            await run_in_threadpool(self.flows.finish, flow)
            signed_out = page_error("signed_out", 400, "You were signed out. Start again from the app.")
            return signed_out, paused, found, None, req, None
        with bound(Exchange(found)):  # no await in here: the database is forbidden in this span
            try:
                grant = self.server.get_consent_grant(req, end_user=user)
            except OAuth2Error as err:
                await_finish = error_outcome(err, self.ctx.issuer)
                grant = None
        if grant is None:
            await run_in_threadpool(self.flows.finish, flow)
            return await_finish, paused, found, user, req, None
        return None, paused, found, user, req, grant

    async def pass_screen(
        self, state: BrowserState, flow: str, screen: str, go_on: bool, *, address: str
    ) -> Outcome:
        """Back (the default) ends the request with ``access_denied``; going on past the
        unverified-app screen counts the user toward the app's cap, once and atomically."""
        ended, paused, _found, user, req, grant = await self._resumed(state, flow)
        if ended is not None:
            return ended
        assert user is not None
        if not go_on:
            await run_in_threadpool(self.flows.finish, flow)
            return self.denied(grant, req)
        out, exchange = await self.prepare(state, paused.params, user.id, flow, paused.passed)
        if out.kind != "screen" or out.page is None or out.page.screen != screen:
            return await self.complete(out, exchange, state, paused.params, address, flow)
        project = out.project_id
        if (
            screen == "unverified"
            and project is not None
            and not await run_in_threadpool(self.count, project, user.id)
        ):
            await run_in_threadpool(self.flows.finish, flow)
            return self.refusal(CAP_REACHED, grant, req)
        passed = paused.passed | {screen}
        if not await run_in_threadpool(self.flows.hold, state, flow, user.id, passed):
            return expired()
        return await self.run(state, paused.params, user.id, flow, address=address, passed=passed)

    async def decide_consent(
        self, state: BrowserState, flow: str, allow: bool, checked: list[str], digest: str = ""
    ) -> Outcome:
        ended, paused, found, user, req, grant = await self._resumed(state, flow)
        if ended is not None:
            return ended
        assert user is not None
        requested = (req.scope or "").split()
        prompts = set((req.payload.data.get("prompt") or "").split())
        have = found.consents.get(user.id, frozenset())
        counted = await self.counted_for(found, paused.params)
        plan = self._plan(
            grant, user, requested, have, prompts, paused.passed, counted, found.org_rules.get(user.id)
        )
        if plan.refused:  # the app was suspended, the user removed from its testers, ...
            await run_in_threadpool(self.flows.finish, flow)
            return await self.complete(
                self.refusal(plan.decision, grant, req), Exchange(found), state, paused.params, "", flow
            )
        page = Page(grant.client.row.id, user.email, user.name, tuple(requested), plan.to_ask, plan.screen)
        if plan.screen or not plan.to_ask:
            # A screen is due after all, or nothing is left to ask: decide the request again.
            out = Outcome("screen" if plan.screen else "consent", flow=flow, page=page)
            if not plan.screen:
                exchange = Exchange(found)
                with bound(exchange):
                    out = self.issue(
                        found, req, grant, user, requested, have, found.consent_lapses.get(user.id)
                    )
                return await self.complete(out, exchange, state, paused.params, "", flow)
            return await run_in_threadpool(self.present, out, state, paused.params)
        recorded = await run_in_threadpool(
            self.record, flow, page, user, grant.client.row, requested, checked, allow, digest
        )
        if recorded == "changed":  # the app's details changed while the page was open: show again
            return await run_in_threadpool(
                self.present, Outcome("consent", flow=flow, page=page), state, paused.params
            )
        if recorded is None:  # the same consent sent twice: the first one ended the flow
            return expired()
        if not allow or recorded.granted is None:
            return self.denied(grant, req)
        granted = recorded.granted
        found = replace(found, consents={**found.consents, user.id: granted})
        exchange = Exchange(found)
        with bound(exchange):
            out = self.issue(found, req, grant, user, requested, granted, recorded.lapses_at)
        return await self.complete(out, exchange, state, paused.params, "", flow)  # the code ends the flow
