"""The npm ``oidc-provider`` peer (bench/peers/oidc-provider/server.mjs): one Node process.

Two servers: ``oidc-provider`` with its default in-memory adapter (it stores nothing), and
``oidc-provider-pg``, the same server storing every model in a private PostgreSQL cluster pinned to its
core (``pg_adapter.mjs``), as Consentry on PostgreSQL is: the like-for-like peer of ``consentry-pg``.

Its built-in development interactions sign the user in (any login) and record consent in a Grant;
after that, ``/auth`` with the session cookie redirects straight back with a code, like the other
servers. Refresh tokens need ``offline_access``, which oidc-provider honours only with
``prompt=consent``, so each pooled refresh token costs one consent submission.
"""

from __future__ import annotations

import json
import os
import re
import secrets
from pathlib import Path
from urllib.parse import urlencode

import httpx

from bench.harness import procs
from bench.harness.net import free_port
from bench.harness.oauth_http import FlowError, code_from
from bench.harness.pg_cluster import PgCluster
from bench.harness.targets.base import Client, Paths, Target

PEER_DIR = Path(__file__).resolve().parents[2] / "peers" / "oidc-provider"
_ACTION = re.compile(r'<form[^>]*action="([^"]+)"')
_PROMPT = re.compile(r'name="prompt" value="(\w+)"')


class OidcProviderTarget(Target):
    key = "oidc-provider"
    label = "oidc-provider (Node)"
    durably = "nothing: default in-memory adapter (LRU of 1000 entries, lost on restart)"
    redirect_status = 303

    def __init__(self, workdir: Path, cpu: int, durable: bool = False) -> None:
        super().__init__(workdir, cpu)
        self.durable = durable
        if durable:
            self.key = "oidc-provider-pg"
            self.label = "oidc-provider (Node) on PostgreSQL"
            self.durably = (
                "every model (tokens, codes, sessions, grants, interactions): PostgreSQL through "
                "pg_adapter.mjs, fsync + synchronous_commit on, one autocommit statement per adapter call"
            )

    def start(self) -> None:
        self.workdir.mkdir(parents=True, exist_ok=True)
        extra: dict[str, str] = {}
        if self.durable:
            self.cluster = PgCluster(cpu=self.cpu)  # set first: stop() removes it if start fails
            url = self.cluster.start().create_database("oidc_provider")
            extra["BENCH_OIDC_PG"] = url.replace("postgresql+psycopg://", "postgresql://", 1)
        port = free_port()
        self.setup.base_url = f"http://127.0.0.1:{port}"
        web = Client("bench-web", secrets.token_urlsafe(32), "http://127.0.0.1:8765/callback")
        service = Client("bench-service", secrets.token_urlsafe(32))
        config = {
            "port": port,
            "web": {
                "client_id": web.client_id,
                "client_secret": web.secret,
                "redirect_uri": web.redirect_uri,
            },
            "service": {"client_id": service.client_id, "client_secret": service.secret},
        }
        env = {**os.environ, **extra, "BENCH_OIDC_CONFIG": json.dumps(config), "NODE_ENV": "production"}
        self.server = procs.start(
            self.key,
            ["node", "server.mjs"],
            cpu=self.cpu,
            log=self.workdir / "server.log",
            env=env,
            cwd=PEER_DIR,
        )
        self.setup.paths = Paths(
            token="/token",
            introspect="/token/introspection",
            authorize="/auth",
            jwks="/jwks",
            discovery="/.well-known/openid-configuration",
        )
        self.setup.web = web
        self.setup.service = service
        procs.wait_http(self.server, self.setup.base_url + self.paths.discovery)

    def authorize(self, http: httpx.Client, params: dict[str, str]) -> str:
        response = http.get(self.paths.authorize + "?" + urlencode(params))
        for _ in range(10):
            location = response.headers.get("location", "")
            own = location.startswith("/") or location.startswith(self.setup.base_url)
            if response.status_code in (302, 303) and own:
                response = http.get(location)
            elif response.status_code == 200 and (prompt := _PROMPT.search(response.text)):
                action = _ACTION.search(response.text)
                if action is None:
                    raise FlowError("oidc-provider interaction page without a form")
                form = {"prompt": prompt.group(1)}
                if prompt.group(1) == "login":
                    form.update(login="alice", password="any")  # devInteractions accept any login
                response = http.post(action.group(1), data=form)
            else:
                break
        return code_from(response, self.web.redirect_uri)

    def refresh_params(self) -> dict[str, str]:
        return {"scope": "openid email offline_access", "prompt": "consent"}

    def refresh_pool(self, size: int) -> list[str]:
        """Each refresh token from its own browser session, hence its own Grant.

        oidc-provider's in-memory adapter keeps, per Grant, the list of every token issued under it and
        rescans that list on each new token; tokens from one session would all share one Grant and make
        that list grow 64 times faster than with 64 users, which is not the workload (one user, one
        grant, one token). The PostgreSQL peer gets the same pool, so both run the same workload.
        """
        pool: list[str] = []
        for _ in range(size):
            with httpx.Client(base_url=self.setup.base_url, timeout=30.0) as http:
                code = self.authorize(http, self.authorize_params(self.refresh_params()))
                token = self._exchange(http, code).get("refresh_token")
            if not isinstance(token, str):
                raise FlowError("oidc-provider: no refresh_token in the code exchange")
            pool.append(token)
        return pool
