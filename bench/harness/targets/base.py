"""What every server under test provides, and how a cell plan is built from it.

Why one base: the workloads must be *the same* against each server, so the request bodies, the
checks and the preparation (fresh token to introspect, refresh-token pool, signed-in session) are
built here once; a target only says where its endpoints are, which credentials it has and how its
sign-in and consent pages are driven (``authorize``).
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlencode

import httpx

from bench.harness import procs
from bench.harness import workloads as wl
from bench.harness.oauth_http import (
    PKCE_CHALLENGE,
    PKCE_VERIFIER,
    FlowError,
    basic_auth,
    cookie_header,
    post_token,
)
from bench.harness.pg_cluster import PgCluster
from bench.harness.verdict import Expectation
from bench.harness.workloads import Workload

OK200 = frozenset({200})
#: Static workloads: only 200s, each with the expected body (the Lua script's expect_body pattern).
BODY_CHECKED = Expectation(OK200, ("body_mismatch",), (("body_ok", OK200),))


@dataclass(frozen=True)
class Paths:
    token: str
    introspect: str
    authorize: str
    jwks: str
    discovery: str


@dataclass(frozen=True)
class Client:
    client_id: str
    secret: str
    redirect_uri: str = ""

    @property
    def auth(self) -> str:
        return basic_auth(self.client_id, self.secret)


@dataclass(frozen=True)
class CellPlan:
    """Everything one wrk run needs: the script, its config file, the refresh pool, the checks."""

    script: str
    config: dict[str, str]
    expect: Expectation
    pool: list[str] | None = None


@dataclass
class Setup:
    """Filled in by ``Target.start``: where the server is and what the benchmark signs in with."""

    base_url: str = ""
    paths: Paths | None = None
    service: Client | None = None  # client_credentials and introspection
    web: Client | None = None  # the code flow and refresh


class Target(ABC):
    """A server under test. Subclasses start it pinned to the server core and drive its pages."""

    key: str = ""
    label: str = ""
    #: One line for the table: what this server stores durably with its default (or our) setup.
    durably: str = ""
    #: The status of "redirect back to the app with a code" on this server.
    redirect_status: int = 302

    def __init__(self, workdir: Path, cpu: int) -> None:
        self.workdir = workdir
        self.cpu = cpu
        self.setup = Setup()
        self._browser: httpx.Client | None = None
        #: The server process, once started.
        self.server: procs.Managed | None = None
        #: The server's own PostgreSQL cluster, pinned to the same core, when it stores there.
        self.cluster: PgCluster | None = None

    # --- lifecycle, per server -------------------------------------------------------------
    @abstractmethod
    def start(self) -> None:
        """Start the server (and its database), create clients and a user; fill ``self.setup``."""

    def stop(self) -> None:
        """Stop every process this target started, by PID: the server, then its database."""
        try:
            self.stop_server()
        finally:
            if self.cluster is not None:
                self.cluster.stop()
                self.cluster = None

    def stop_server(self) -> None:
        """Stop the server alone; its database keeps running (the scale phase seeds it in between)."""
        self.close_browser()
        if self.server is not None:
            self.server.stop()
            self.server = None

    def processes(self) -> list[procs.Managed]:
        """The processes serving this target (checked between cells: a dead server fails its cells)."""
        return [p for p in (self.server, self.cluster.server if self.cluster else None) if p is not None]

    def health(self) -> str:
        """Empty when every process is alive; else which one exited and how."""
        dead = [p for p in self.processes() if not p.alive()]
        return "; ".join(f"{p.name} (PID {p.pid}) {p.exit_description()}" for p in dead)

    @abstractmethod
    def authorize(self, http: httpx.Client, params: dict[str, str]) -> str:
        """Drive GET authorize (signing in and consenting when asked) and return the code."""

    def code_flow_params(self) -> dict[str, str]:
        """Authorize parameters of the measured round trip: sign-in scopes, PKCE S256."""
        return {"scope": "openid email"}

    def refresh_params(self) -> dict[str, str]:
        """Authorize parameters that make the server issue a refresh token."""
        return {"scope": "openid email"}

    # --- helpers built on the above ----------------------------------------------------------
    @property
    def paths(self) -> Paths:
        assert self.setup.paths is not None, "target not started"
        return self.setup.paths

    @property
    def web(self) -> Client:
        assert self.setup.web is not None, "target not started"
        return self.setup.web

    @property
    def service(self) -> Client:
        assert self.setup.service is not None, "target not started"
        return self.setup.service

    def authorize_params(self, extra: dict[str, str]) -> dict[str, str]:
        return {
            "response_type": "code",
            "client_id": self.web.client_id,
            "redirect_uri": self.web.redirect_uri,
            "state": "bench",
            "code_challenge": PKCE_CHALLENGE,
            "code_challenge_method": "S256",
            **extra,
        }

    def browser(self) -> httpx.Client:
        """One signed-in, consented browser per target (created on first use, kept for the run)."""
        if self._browser is None:
            http = httpx.Client(base_url=self.setup.base_url, timeout=30.0)
            code = self.authorize(http, self.authorize_params(self.code_flow_params()))
            self._exchange(http, code)  # proves the whole flow works before wrk runs it
            self._browser = http
        return self._browser

    def close_browser(self) -> None:
        if self._browser is not None:
            self._browser.close()
            self._browser = None

    def _exchange(self, http: httpx.Client, code: str) -> dict[str, object]:
        form = {
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": self.web.redirect_uri,
            "code_verifier": PKCE_VERIFIER,
        }
        return post_token(http, self.paths.token, self.web.auth, form)

    def exchange(self, code: str) -> dict[str, object]:
        return self._exchange(self.browser(), code)

    def user_access_token(self) -> str:
        """A fresh user access token (code flow) for the introspection cell."""
        http = self.browser()
        body = self.exchange(self.authorize(http, self.authorize_params(self.code_flow_params())))
        return str(body["access_token"])

    def refresh_pool(self, size: int) -> list[str]:
        """``size`` distinct refresh tokens, each from its own code flow (its own family)."""
        http = self.browser()
        pool: list[str] = []
        for _ in range(size):
            body = self.exchange(self.authorize(http, self.authorize_params(self.refresh_params())))
            token = body.get("refresh_token")
            if not isinstance(token, str):
                raise FlowError(f"{self.key}: no refresh_token in the code exchange: {sorted(body)}")
            pool.append(token)
        return pool

    # --- the plan of one cell -----------------------------------------------------------------
    def plan(self, workload: Workload, pool_size: int) -> CellPlan:
        """Build the wrk config for ``workload``; refresh and introspection get fresh tokens."""
        if workload is wl.CC_TOKEN:
            return self._post_plan(
                workload, self.paths.token, "grant_type=client_credentials", '"access_token"'
            )
        if workload is wl.INTROSPECT:
            body = urlencode({"token": self.user_access_token(), "token_type_hint": "access_token"})
            return self._post_plan(workload, self.paths.introspect, body, '"active"%s*:%s*true')
        if workload is wl.REFRESH:
            config = {"path": self.paths.token, "authorization": self.web.auth}
            expect = Expectation(OK200, ("pool_empty", "no_rotation"), (("rotated", OK200),))
            return CellPlan(workload.script, config, expect, pool=self.refresh_pool(pool_size))
        if workload is wl.CODE_FLOW:
            return self._code_flow_plan(workload)
        path, expect_body = (
            (self.paths.jwks, '"keys"') if workload is wl.JWKS else (self.paths.discovery, '"issuer"')
        )
        return CellPlan(
            workload.script, {"method": "GET", "path": path, "expect_body": expect_body}, BODY_CHECKED
        )

    def _post_plan(self, workload: Workload, path: str, body: str, expect_body: str) -> CellPlan:
        """A fixed form POST authenticated as the service client (client_secret_basic)."""
        config = {
            "method": "POST",
            "path": path,
            "body": body,
            "content_type": "application/x-www-form-urlencoded",
            "authorization": self.service.auth,
            "expect_body": expect_body,
        }
        return CellPlan(workload.script, config, BODY_CHECKED)

    def _code_flow_plan(self, workload: Workload) -> CellPlan:
        # One round trip now, through the pages if need be: a server that dropped the session
        # (oidc-provider's LRU evicts it under load) gets a fresh sign-in before wrk uses the cookie.
        params = self.authorize_params(self.code_flow_params())
        self.exchange(self.authorize(self.browser(), params))
        token_form = {
            "grant_type": "authorization_code",
            "redirect_uri": self.web.redirect_uri,
            "code_verifier": PKCE_VERIFIER,
        }
        config = {
            "authorize_path": f"{self.paths.authorize}?{urlencode(params)}",
            "cookie": cookie_header(self.browser(), f"{self.setup.base_url}{self.paths.authorize}"),
            "token_path": self.paths.token,
            "authorization": self.web.auth,
            "token_body": urlencode(token_form),
        }
        redirect = frozenset({self.redirect_status})
        expect = Expectation(
            OK200 | redirect,
            ("no_code", "bad_token_body"),
            (("round_trips", OK200), ("codes", redirect)),
        )
        return CellPlan(workload.script, config, expect)
