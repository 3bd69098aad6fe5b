"""Consentry itself, on SQLite or on a private PostgreSQL cluster, served by ``consentry serve``.

Set-up is the documented one: ``consentry db upgrade``, ``consentry demo --json`` (users and the
``web`` client), ``consentry client create ... --type service --can-introspect --json`` (the client
for client_credentials and introspection), then ``consentry serve --workers 1`` under
``taskset -c <server core>`` (see ``serve`` for how it is spelled). The database can outlive the
server (``stop_server``/``serve``) so the scale phase can seed it between two measurements.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
from html import unescape
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import httpx

from bench.harness import procs
from bench.harness.net import free_port
from bench.harness.oauth_http import FlowError, code_from
from bench.harness.pg_cluster import PgCluster
from bench.harness.targets.base import Client, Paths, Target

REPO = Path(__file__).resolve().parents[3]
SECRET_KEY = "bench-secret-key-0123456789abcdef0123456789"  # throwaway instance; 32+ chars
_FIELD = r'name="{}" value="([^"]*)"'


def _field(html: str, name: str) -> str:
    match = re.search(_FIELD.format(name), html)
    if not match:
        raise FlowError(f"form field {name!r} not on the page: {html[:300]}")
    return unescape(match.group(1))


class ConsentryTarget(Target):
    redirect_status = 302

    def __init__(self, workdir: Path, cpu: int, backend: str, venv_bin: Path) -> None:
        super().__init__(workdir, cpu)
        if backend not in ("sqlite", "postgres"):
            raise ValueError(backend)
        self.backend = backend
        self.key = "consentry-sqlite" if backend == "sqlite" else "consentry-pg"
        self.label = "Consentry (SQLite)" if backend == "sqlite" else "Consentry (PostgreSQL)"
        self.durably = (
            "all tokens, codes, sessions: SQLite file, WAL; token commits fsync'd "
            "(synchronous=FULL, one per group commit), other writes synchronous=NORMAL"
            if backend == "sqlite"
            else "all tokens, codes, sessions: PostgreSQL, fsync + synchronous_commit on"
        )
        self.venv_bin = venv_bin
        self.database_url = ""
        self.env: dict[str, str] = {}
        self.user: dict[str, str] = {}

    # --- lifecycle --------------------------------------------------------------------------
    def start(self) -> None:
        self.workdir.mkdir(parents=True, exist_ok=True)
        if self.backend == "postgres":
            self.cluster = PgCluster(cpu=self.cpu)  # set first: stop() removes it if start fails
            self.database_url = self.cluster.start().create_database("consentry")
        else:
            self.database_url = f"sqlite:///{self.workdir / 'consentry.db'}"
        port = free_port()
        self.setup.base_url = f"http://127.0.0.1:{port}"
        self.env = {
            **os.environ,
            "CONSENTRY_DATABASE_URL": self.database_url,
            "CONSENTRY_ISSUER": self.setup.base_url,
            "CONSENTRY_SECRET_KEY": SECRET_KEY,
            "CONSENTRY_ENVIRONMENT": "development",
        }
        self.cli("db", "upgrade")
        demo = self.cli_json("demo", "--json")
        service = self.cli_json(
            "client", "create", demo["project"], "--type", "service", "--can-introspect", "--json"
        )
        web = demo["clients"]["web"]
        self.user = demo["users"][0]
        self.setup.paths = Paths(
            token="/token",
            introspect="/introspect",
            authorize="/authorize",
            jwks="/jwks",
            discovery="/.well-known/openid-configuration",
        )
        self.setup.web = Client(web["client_id"], web["client_secret"], web["redirect_uris"][0])
        self.setup.service = Client(service["client_id"], service["client_secret"])
        self.serve()

    def serve(self) -> None:
        """``consentry serve --workers 1`` (one process), through ``python -m consentry.cli.main``.

        That is the module the ``consentry`` script runs; the spelling keeps the words "consentry serve"
        out of the command line, so helper scripts on this shared machine that find Consentry servers
        by name (pgrep/pkill -f 'consentry serve') neither kill nor profile the benchmark's servers.
        """
        port = self.setup.base_url.rsplit(":", 1)[1]
        argv = [str(self.venv_bin / "python"), "-m", "consentry.cli.main", "serve"]
        argv += ["--host", "127.0.0.1", "--port", port, "--workers", "1"]
        self.server = procs.start(self.key, argv, cpu=self.cpu, log=self.workdir / "serve.log", env=self.env)
        procs.wait_http(self.server, self.setup.base_url + "/.well-known/openid-configuration")

    # --- the CLI ------------------------------------------------------------------------------
    def cli(self, *args: str, timeout: float = 600.0) -> str:
        result = subprocess.run(
            [str(self.venv_bin / "consentry"), *args],
            env=self.env,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
            cwd=REPO,
        )
        if result.returncode != 0:
            raise RuntimeError(
                f"consentry {' '.join(args)} exited {result.returncode}: {result.stderr[-800:]}"
            )
        return result.stdout

    def cli_json(self, *args: str) -> dict[str, Any]:
        return dict(json.loads(self.cli(*args)))

    # --- the browser ----------------------------------------------------------------------------
    def authorize(self, http: httpx.Client, params: dict[str, str]) -> str:
        response = http.get(self.paths.authorize + "?" + urlencode(params))
        for _ in range(6):
            location = response.headers.get("location", "")
            if response.status_code in (302, 303) and location.startswith("/"):
                response = http.get(location)  # our own pages (sign-in)
            elif response.status_code == 200 and 'action="/signin"' in response.text:
                response = self._sign_in(http, response.text)
            elif response.status_code == 200 and "/authorize/consent" in response.text:
                response = self._consent(http, response.text, params["scope"].split())
            else:
                break
        return code_from(response, self.web.redirect_uri)

    def _sign_in(self, http: httpx.Client, html: str) -> httpx.Response:
        form = {
            "csrf": _field(html, "csrf"),
            "flow": _field(html, "flow"),
            "next": _field(html, "next"),
            "email": self.user["email"],
            "password": self.user["password"],
        }
        return http.post("/signin", data=form)

    def _consent(self, http: httpx.Client, html: str, scopes: list[str]) -> httpx.Response:
        form = [
            ("csrf", _field(html, "csrf")),
            ("flow", _field(html, "flow")),
            ("disclosure", _field(html, "disclosure")),  # the digest of what the page showed
            ("action", "allow"),
        ]
        form += [("scope", scope) for scope in scopes]
        return http.post(
            "/authorize/consent",
            content=urlencode(form),
            headers={"content-type": "application/x-www-form-urlencoded"},
        )

    def refresh_params(self) -> dict[str, str]:
        """Consentry issues a refresh token for ``access_type=offline`` (as Google does)."""
        return {**self.code_flow_params(), "access_type": "offline"}
