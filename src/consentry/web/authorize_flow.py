"""The authorization endpoint's decisions: which account, whether to ask consent, and the code.

States (one diagram, docs/flows.md):
  validate -> [no account] sign-in -> [several] choose -> [new scopes | prompt=consent] consent -> code
Each pause stores an Interaction row (shared by all processes) that the next step resumes.

Like every protocol endpoint, a request is one token-store lookup (the client, the browser's
accounts and their consent to this client, the nonce), a decision made on those records alone
while Authlib runs (:meth:`AuthorizeFlow.decide`), then one commit of the code it issued. Only a
pause (sign-in, account choice, consent) writes through a unit of work.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from authlib.oauth2.rfc6749.errors import AccessDeniedError, OAuth2Error
from authlib.oidc.core.errors import (
    AccountSelectionRequiredError,
    ConsentRequiredError,
    LoginRequiredError,
)
from sqlalchemy import delete
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from consentry.domain.clients.redirect_uris import display_authority
from consentry.domain.clients.snapshot import ClientCache
from consentry.domain.consent import service as consent
from consentry.domain.scopes.catalogue import SIGN_IN
from consentry.domain.secrets import new_secret
from consentry.domain.tokens.records import UserRecord
from consentry.domain.tokens.store import Found, Lookup, TokenStore
from consentry.domain.tokens.store import Outcome as Committed
from consentry.protocol.oauth2.exchange import Exchange, bound
from consentry.protocol.oauth2.issuer import with_issuer
from consentry.protocol.oauth2.params import param_error
from consentry.protocol.oauth2.server import ConsentryServer
from consentry.protocol.starlette import StarletteOAuth2Request
from consentry.storage.tables import Interaction
from consentry.storage.tables.base import now
from consentry.web.authorize_outcome import (
    Outcome,
    accounts_for_hd,
    build_request,
    error_outcome,
    first_param,
    matches_hint,
    page_error,
)
from consentry.web.session import BrowserState, Sessions


class AuthorizeFlow:
    def __init__(
        self, server: ConsentryServer, sessions: Sessions, store: TokenStore, clients: ClientCache
    ) -> None:
        self.server = server
        self.sessions = sessions
        self.store = store
        self.clients = clients
        self.ctx = server.ctx

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
    ) -> tuple[Outcome, Exchange]:
        """One lookup, then the decision on what it found; nothing is written yet."""
        found = await self.store.lookup(self.lookup_for(state, params))
        exchange = Exchange(found)
        with bound(exchange):
            return self.decide(found, params, chosen_id, flow), exchange

    async def run(
        self,
        state: BrowserState,
        params: list[tuple[str, str]],
        chosen_id: int | None = None,
        flow: str | None = None,
        *,
        address: str,
    ) -> Outcome:
        """``address`` is the client's (web/client_address.py), for the anonymous writers' quota."""
        out, exchange = await self.prepare(state, params, chosen_id, flow)
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
        """Store what the decision needs stored: the code, or the paused flow."""
        if out.kind == "code":
            if flow:
                await run_in_threadpool(self._finish, flow)
            return await self.commit_code(out, exchange)
        if out.pause:
            return await run_in_threadpool(self._pause, out, state, params, address)
        return out

    async def commit_code(self, out: Outcome, exchange: Exchange) -> Outcome:
        exchange.changes.client = exchange.found.client
        committed = await self.store.commit(exchange.changes)
        if committed is Committed.COMMITTED:
            return Outcome("redirect", location=out.location)
        if exchange.found.client is not None:
            self.clients.drop(exchange.found.client.client_id)
        return page_error("temporarily_unavailable", 503, "The app's settings changed just now. Try again.")

    def decide(
        self, found: Found, params: list[tuple[str, str]], chosen_id: int | None, flow: str | None
    ) -> Outcome:
        """The whole decision on prefetched records; call inside ``bound(exchange)``."""
        try:
            return self._decide(found, params, chosen_id, flow)
        except ValueError:
            # Authlib refuses to build an error whose description would echo non-ASCII input.
            return page_error("invalid_request", 400, "The app sent a malformed request.")

    def _decide(
        self, found: Found, params: list[tuple[str, str]], chosen_id: int | None, flow: str | None
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
        user = self._pick(accounts, hint, chosen_id)
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
            return Outcome(
                kind,
                flow=flow or "",
                context=context,
                pause=not flow,
                quota_client=None if flow else grant.client.get_client_id(),
            )
        requested = (req.scope or "").split()
        have = found.consents.get(user.id, frozenset())
        to_ask = self._to_ask(have, requested, prompts)
        if to_ask:
            if none:
                return error_outcome(
                    ConsentRequiredError(redirect_uri=redirect_uri, state=data.get("state")), self.ctx.issuer
                )
            return Outcome(
                "consent",
                flow=flow or "",
                pause=not flow,
                pause_user_id=user.id,
                context=self._consent_context(grant, user, requested, to_ask),
            )
        return self.issue(found, req, grant, user, requested, have)

    @staticmethod
    def _to_ask(have: frozenset[str], requested: list[str], prompts: set[str]) -> list[str]:
        """Scopes the consent page offers: new ones, or all on first use and with prompt=consent."""
        if "consent" in prompts or not have:
            return requested
        return [s for s in requested if s not in have]  # AUTH2-3: ask only for the new ones

    def _pick(self, accounts: list[UserRecord], hint: str | None, chosen_id: int | None) -> UserRecord | None:
        if chosen_id is not None:
            return next((a for a in accounts if a.id == chosen_id), None)
        if hint:
            return next((a for a in accounts if matches_hint(a, hint)), None)
        return accounts[0] if len(accounts) == 1 else None

    def _redirect_error(self, req: StarletteOAuth2Request, cls: type[OAuth2Error]) -> OAuth2Error:
        client = self.server.query_client(req.payload.client_id or "")
        uri = (
            req.payload.redirect_uri
            if client and client.check_redirect_uri(req.payload.redirect_uri)
            else None
        )
        return cls(redirect_uri=uri, state=req.payload.state)

    def _consent_context(
        self, grant: Any, user: UserRecord, requested: list[str], to_ask: list[str]
    ) -> dict[str, Any]:
        catalogue = self.ctx.catalogue
        client = grant.client.row
        sign_in = [catalogue.by_uri[s] for s in requested if s in SIGN_IN]
        data_scopes = [catalogue.by_uri[s] for s in to_ask if s not in SIGN_IN and s in catalogue.by_uri]
        return {
            "client": client,
            "project": {"name": client.project_name, "status": client.project_status},
            "user": user,
            "sign_in": sign_in,
            "data_scopes": data_scopes,
            "redirect_host": display_authority(grant.redirect_uri),
        }

    def issue(
        self,
        found: Found,
        req: StarletteOAuth2Request,
        grant: Any,
        user: UserRecord,
        requested: list[str],
        have: frozenset[str],
    ) -> Outcome:
        """Authlib writes the code into the exchange; the caller commits it (:meth:`commit_code`)."""
        data = req.payload.data
        scope = [s for s in requested if s in have]
        if data.get("include_granted_scopes") == "true":
            scope += sorted(s for s in have if s not in scope)  # AUTH2-3: union with what was granted
        auth_time = next((a.authenticated_at for a in found.accounts if a.user.id == user.id), None)
        req.consentry.update(
            scope=" ".join(scope), offline=data.get("access_type") == "offline", auth_time=auth_time or now()
        )
        _status, _body, headers = self.server.create_authorization_response(req, grant_user=user, grant=grant)
        return Outcome("code", location=with_issuer(dict(headers).get("Location", ""), self.ctx.issuer))

    # --- consent decision ---------------------------------------------------------------
    async def decide_consent(
        self, state: BrowserState, flow: str, allow: bool, checked: list[str]
    ) -> Outcome:
        row = await run_in_threadpool(self._resume_row, state, flow)
        if row is None or row[1] is None:
            return page_error("expired", 400, "This sign-in request expired. Start again from the app.")
        params, user_id = row
        found = await self.store.lookup(self.lookup_for(state, params))
        user = next((a.user for a in found.accounts if a.user.id == user_id), None)
        req = build_request(self.ctx.issuer, params)
        if user is None:
            await run_in_threadpool(self._finish, flow)
            return page_error("signed_out", 400, "You were signed out. Start again from the app.")
        refused: OAuth2Error | None = None
        with bound(Exchange(found)):  # no await in here: the database is forbidden in this span
            try:
                grant = self.server.get_consent_grant(req, end_user=user)
            except OAuth2Error as err:
                refused = err
        if refused is not None:
            await run_in_threadpool(self._finish, flow)
            return error_outcome(refused, self.ctx.issuer)
        if not allow:
            await run_in_threadpool(self._finish, flow)
            denied = AccessDeniedError(redirect_uri=grant.redirect_uri, state=req.payload.state)
            return error_outcome(denied, self.ctx.issuer)
        requested = (req.scope or "").split()
        prompts = set((req.payload.data.get("prompt") or "").split())
        offered = set(self._to_ask(found.consents.get(user.id, frozenset()), requested, prompts))
        # Only an explicit tick grants a data scope (CONSENT-6); sign-in scopes come with the click.
        agreed = [s for s in requested if s in SIGN_IN or (s in checked and s in offered)]
        # A data scope shown again and left unticked is withdrawn, not silently kept.
        withdrawn = [s for s in offered if s not in SIGN_IN and s not in agreed]
        client_pk = grant.client.row.id
        have = await run_in_threadpool(self._grant, flow, user, client_pk, agreed, withdrawn)
        if have is None:  # the same consent sent twice: the first one took the flow
            return page_error("expired", 400, "This sign-in request expired. Start again from the app.")
        found = replace(found, consents={**found.consents, user.id: frozenset(have)})
        exchange = Exchange(found)
        with bound(exchange):
            out = self.issue(found, req, grant, user, requested, frozenset(have))
        return await self.commit_code(out, exchange)

    # --- interactions (the unit of work) ------------------------------------------------
    def _pause(
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
            flow = self.pause(db, state, params, out.pause_user_id)
        return replace(out, flow=flow, pause=False)

    def pause(
        self, db: Session, state: BrowserState, params: list[tuple[str, str]], user_id: int | None = None
    ) -> str:
        flow = new_secret(24)
        db.add(
            Interaction(
                id_hash=self.ctx.hasher.hash(flow),
                params={"pairs": params},
                session_hash=self.sessions.sid_hash(state),
                user_id=user_id,
                expires_at=now() + self.ctx.settings.flow_ttl,
            )
        )
        return flow

    def resume(self, db: Session, state: BrowserState, flow: str) -> Interaction | None:
        row = db.get(Interaction, self.ctx.hasher.hash(flow or ""))
        if row is None or row.expires_at <= now() or row.session_hash != self.sessions.sid_hash(state):
            return None
        return row

    def resume_params(
        self, state: BrowserState, flow: str
    ) -> tuple[list[tuple[str, str]], int | None] | None:
        """The paused request's parameters and account, or None if expired or another browser's."""
        return self._resume_row(state, flow)

    def _resume_row(self, state: BrowserState, flow: str) -> tuple[list[tuple[str, str]], int | None] | None:
        with self.ctx.db.unit_of_work() as db:
            row = self.resume(db, state, flow)
            if row is None:
                return None
            return [(str(k), str(v)) for k, v in row.params["pairs"]], row.user_id

    def _finish(self, flow: str) -> None:
        with self.ctx.db.unit_of_work() as db:
            db.execute(delete(Interaction).where(Interaction.id_hash == self.ctx.hasher.hash(flow)))

    def _grant(
        self, flow: str, user: UserRecord, client_pk: int, agreed: list[str], withdrawn: list[str]
    ) -> set[str] | None:
        """Take the flow (once: a second POST of the same consent finds it gone) and record consent."""
        with self.ctx.db.unit_of_work() as db:
            taken = db.execute(delete(Interaction).where(Interaction.id_hash == self.ctx.hasher.hash(flow)))
            if not taken.rowcount:  # type: ignore[attr-defined]
                return None
            return consent.grant(db, user.id, client_pk, agreed, actor=user.email, withdraw=withdrawn)
