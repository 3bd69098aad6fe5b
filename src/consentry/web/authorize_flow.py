"""The authorization endpoint's decisions: which account, whether to ask consent, and the code.

States (one diagram, docs/flows.md):
  validate -> [no account] sign-in -> [several] choose -> [new scopes | prompt=consent] consent -> code
Each pause stores an Interaction row (shared by all processes) that the next step resumes.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from authlib.oauth2.rfc6749.errors import AccessDeniedError, OAuth2Error, UnsupportedResponseTypeError
from authlib.oidc.core.errors import (
    AccountSelectionRequiredError,
    ConsentRequiredError,
    LoginRequiredError,
)
from sqlalchemy import delete
from sqlalchemy.orm import Session

from consentry.domain.clients.redirect_uris import display_authority
from consentry.domain.consent import service as consent
from consentry.domain.scopes.catalogue import SIGN_IN
from consentry.domain.secrets import new_secret
from consentry.protocol.oauth2.issuer import with_issuer
from consentry.protocol.oauth2.params import param_error
from consentry.protocol.oauth2.server import ConsentryServer
from consentry.protocol.starlette import StarletteOAuth2Request
from consentry.storage.tables import Interaction, User
from consentry.storage.tables.base import now
from consentry.web.session import BrowserState, Sessions


@dataclass
class Outcome:
    """What the endpoint should do next."""

    kind: str  # "redirect" | "signin" | "choose" | "consent" | "error_page"
    location: str = ""
    flow: str = ""
    context: dict[str, Any] | None = None


def build_request(issuer: str, params: list[tuple[str, str]]) -> StarletteOAuth2Request:
    from urllib.parse import urlencode

    uri = issuer + "/authorize?" + urlencode(params)
    return StarletteOAuth2Request("GET", uri, {}, params, [])


def _describe(error: OAuth2Error) -> str:
    """Authlib's own message; its unsupported_response_type wraps the message twice, so prefer the raw one."""
    if isinstance(error, UnsupportedResponseTypeError):
        return "The app asked for a response type this server does not support (use response_type=code)."
    return str(error.description or error.get_error_description() or error.error)


def error_outcome(error: OAuth2Error, issuer: str) -> Outcome:
    """Redirect only to a URI Authlib already validated, naming the issuer (RFC 9207); otherwise
    show a page."""
    status, _body, headers = error(None)
    if error.redirect_uri:
        location = dict(headers).get("Location", "")
        return Outcome("redirect", location=with_issuer(location, issuer))
    return Outcome(
        "error_page",
        context={
            "error": error.error,
            "message": _describe(error),
            "status": status,
        },
    )


def accounts_for_hd(accounts: list[User], hd: str | None) -> list[User]:
    """AUTH0-5: ``hd=domain`` keeps that organization's accounts, ``hd=default`` the others."""
    if not hd or hd == "*":
        return accounts
    if hd == "default":
        return [a for a in accounts if a.org_id is None]
    return [a for a in accounts if a.hosted_domain == hd.lower()]


def matches_hint(user: User, hint: str | None) -> bool:
    return bool(hint) and hint is not None and hint.strip().lower() in (user.email, user.sub.lower())


class AuthorizeFlow:
    def __init__(self, server: ConsentryServer, sessions: Sessions) -> None:
        self.server = server
        self.sessions = sessions
        self.ctx = server.ctx

    # --- interactions -------------------------------------------------------------------
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

    def finish(self, db: Session, flow: str) -> None:
        db.execute(delete(Interaction).where(Interaction.id_hash == self.ctx.hasher.hash(flow)))

    def over_quota(self, db: Session, address: str, client_id: str) -> Outcome | None:
        """Anonymous visitors store flow state: per address and per client, only so many a minute."""
        refused = self.ctx.quotas.authorize(db, address, client_id)
        if refused is None:
            return None
        return Outcome(
            "error_page",
            context={
                "error": "temporarily_unavailable",
                "status": 429,
                "message": "Too many sign-in requests came from your network or for this app. "
                f"Wait {refused.retry_after} seconds and try again.",
                "retry_after": refused.retry_after,
            },
        )

    # --- the endpoint -------------------------------------------------------------------
    def run(
        self,
        db: Session,
        state: BrowserState,
        params: list[tuple[str, str]],
        chosen_id: int | None = None,
        flow: str | None = None,
        *,
        address: str,
    ) -> Outcome:
        """``address`` is the client's (web/client_address.py), for the anonymous writers' quota."""
        try:
            return self._run(db, state, params, chosen_id, flow, address)
        except ValueError:
            # Authlib refuses to build an error whose description would echo non-ASCII input.
            return Outcome(
                "error_page",
                context={
                    "error": "invalid_request",
                    "status": 400,
                    "message": "The app sent a malformed request.",
                },
            )

    def _run(
        self,
        db: Session,
        state: BrowserState,
        params: list[tuple[str, str]],
        chosen_id: int | None,
        flow: str | None,
        address: str,
    ) -> Outcome:
        req = build_request(self.ctx.issuer, params)
        data = req.payload.data
        if bad := param_error(data):
            # A page, never a redirect: a repeated redirect_uri or client_id leaves open where to.
            return Outcome(
                "error_page",
                context={
                    "error": "invalid_request",
                    "status": 400,
                    "message": f"The app sent a malformed request. {bad}",
                },
            )
        prompts = set((data.get("prompt") or "").split())
        try:
            grant = self.server.get_consent_grant(req, end_user=None)
        except OAuth2Error as err:
            # LoginRequired is raised by Authlib for prompt=none before we look at accounts.
            if not isinstance(err, LoginRequiredError):
                return error_outcome(err, self.ctx.issuer)
            grant = None
        accounts = accounts_for_hd(self.sessions.accounts(db, state), data.get("hd"))
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
            if flow is None and (refused := self.over_quota(db, address, grant.client.get_client_id())):
                return refused
            flow = flow or self.pause(db, state, params)
            if (
                accounts
                and (len(accounts) > 1 or "select_account" in prompts)
                and not (hint and not any(matches_hint(a, hint) for a in accounts))
            ):
                return Outcome("choose", flow=flow, context={"accounts": accounts})
            return Outcome("signin", flow=flow, context={"email": hint or ""})
        requested = (req.scope or "").split()
        to_ask = self._to_ask(db, user, grant, requested, prompts)
        if to_ask:
            if none:
                return error_outcome(
                    ConsentRequiredError(redirect_uri=redirect_uri, state=data.get("state")), self.ctx.issuer
                )
            flow = flow or self.pause(db, state, params, user.id)
            return Outcome(
                "consent", flow=flow, context=self._consent_context(grant, user, requested, to_ask)
            )
        if flow:
            self.finish(db, flow)
        return self.issue(db, state, req, grant, user, requested)

    @staticmethod
    def _to_ask(db: Session, user: User, grant: Any, requested: list[str], prompts: set[str]) -> list[str]:
        """Scopes the consent page offers: new ones, or all on first use and with prompt=consent."""
        first_time = not consent.granted(db, user.id, grant.client.row.id)
        if "consent" in prompts or first_time:
            return requested
        return consent.missing(db, user.id, grant.client.row.id, requested)

    def _pick(self, accounts: list[User], hint: str | None, chosen_id: int | None) -> User | None:
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
        self, grant: Any, user: User, requested: list[str], to_ask: list[str]
    ) -> dict[str, Any]:
        catalogue = self.ctx.catalogue
        sign_in = [catalogue.by_uri[s] for s in requested if s in SIGN_IN]
        data_scopes = [catalogue.by_uri[s] for s in to_ask if s not in SIGN_IN and s in catalogue.by_uri]
        return {
            "client": grant.client.row,
            "project": grant.client.row.project,
            "user": user,
            "sign_in": sign_in,
            "data_scopes": data_scopes,
            "redirect_host": display_authority(grant.redirect_uri),
        }

    # --- consent decision ---------------------------------------------------------------
    def decide(self, db: Session, state: BrowserState, flow: str, allow: bool, checked: list[str]) -> Outcome:
        row = self.resume(db, state, flow)
        if row is None or row.user_id is None:
            return Outcome(
                "error_page",
                context={
                    "error": "expired",
                    "status": 400,
                    "message": "This sign-in request expired. Start again from the app.",
                },
            )
        params = [tuple(p) for p in row.params["pairs"]]
        user = next((a for a in self.sessions.accounts(db, state) if a.id == row.user_id), None)
        req = build_request(self.ctx.issuer, params)
        self.finish(db, flow)
        if user is None:
            return Outcome(
                "error_page",
                context={
                    "error": "signed_out",
                    "status": 400,
                    "message": "You were signed out. Start again from the app.",
                },
            )
        try:
            grant = self.server.get_consent_grant(req, end_user=user)
        except OAuth2Error as err:
            return error_outcome(err, self.ctx.issuer)
        if not allow:
            return error_outcome(
                AccessDeniedError(redirect_uri=grant.redirect_uri, state=req.payload.state), self.ctx.issuer
            )
        requested = (req.scope or "").split()
        prompts = set((req.payload.data.get("prompt") or "").split())
        offered = set(self._to_ask(db, user, grant, requested, prompts))
        # Only an explicit tick grants a data scope (CONSENT-6); sign-in scopes come with the click.
        agreed = [s for s in requested if s in SIGN_IN or (s in checked and s in offered)]
        # A data scope shown again and left unticked is withdrawn, not silently kept.
        withdrawn = [s for s in offered if s not in SIGN_IN and s not in agreed]
        consent.grant(db, user.id, grant.client.row.id, agreed, actor=user.email, withdraw=withdrawn)
        return self.issue(db, state, req, grant, user, requested)

    def issue(
        self,
        db: Session,
        state: BrowserState,
        req: StarletteOAuth2Request,
        grant: Any,
        user: User,
        requested: list[str],
    ) -> Outcome:
        data = req.payload.data
        have = consent.granted(db, user.id, grant.client.row.id)
        scope = [s for s in requested if s in have]
        if data.get("include_granted_scopes") == "true":
            scope += sorted(s for s in have if s not in scope)  # AUTH2-3: union with what was granted
        req.consentry.update(
            scope=" ".join(scope),
            offline=data.get("access_type") == "offline",
            auth_time=self.sessions.auth_time(db, state, user.id) or now(),
        )
        _status, _body, headers = self.server.create_authorization_response(req, grant_user=user, grant=grant)
        return Outcome("redirect", location=with_issuer(dict(headers).get("Location", ""), self.ctx.issuer))
