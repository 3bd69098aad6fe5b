"""Per-application services, built once in create_app and reached through ``request.app.state``."""

from __future__ import annotations

from dataclasses import dataclass

from starlette.requests import Request

from consentry.domain.accounts.captcha import Captchas
from consentry.domain.accounts.links import Links
from consentry.domain.accounts.signin import PasswordSignIn
from consentry.domain.accounts.steps import SigninSteps
from consentry.domain.clients.snapshot import ClientCache
from consentry.domain.tokens.store import TokenStore
from consentry.protocol.oauth2.context import ProtocolContext
from consentry.protocol.oauth2.server import ConsentryServer
from consentry.web.authorize_flow import AuthorizeFlow
from consentry.web.session import Sessions


@dataclass
class Runtime:
    ctx: ProtocolContext
    server: ConsentryServer
    sessions: Sessions
    flow: AuthorizeFlow
    token_store: TokenStore
    client_cache: ClientCache
    captchas: Captchas
    signin: PasswordSignIn
    #: Sign-ins half done and passkey ceremonies (domain/accounts/steps.py).
    steps: SigninSteps
    #: Single-use mailed links: reset, invitation, sign-up (domain/accounts/links.py).
    links: Links


def runtime(request: Request) -> Runtime:
    rt: Runtime = request.app.state.runtime
    return rt
