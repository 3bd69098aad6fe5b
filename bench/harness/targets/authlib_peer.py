"""The Authlib reference peer (bench/peers/authlib): Flask + Authlib on SQLite, one gunicorn sync worker.

gunicorn's master and its single worker both run under ``taskset -c <server core>``; SIGINT is
gunicorn's quick shutdown, sent to the master's PID.
"""

from __future__ import annotations

import json
import os
import re
import secrets
import signal
import subprocess
from html import unescape
from pathlib import Path
from urllib.parse import urlencode

import httpx

from bench.harness import procs
from bench.harness.net import free_port
from bench.harness.oauth_http import FlowError, code_from
from bench.harness.targets.base import Client, Paths, Target

PEER_DIR = Path(__file__).resolve().parents[2] / "peers" / "authlib"
_NEXT = re.compile(r'name="next" value="([^"]*)"')
_CONSENT_ACTION = re.compile(r'<form action="(/oauth/authorize[^"]*)" method="post">')


class AuthlibTarget(Target):
    key = "authlib"
    label = "Authlib (Flask, gunicorn)"
    durably = "all tokens and codes: SQLite file, default rollback journal, synchronous=FULL"
    redirect_status = 302

    def __init__(self, workdir: Path, cpu: int, venv_bin: Path) -> None:
        super().__init__(workdir, cpu)
        self.venv_bin = venv_bin
        self.username = "alice"

    def start(self) -> None:
        self.workdir.mkdir(parents=True, exist_ok=True)
        port = free_port()
        self.setup.base_url = f"http://127.0.0.1:{port}"
        env = {
            **os.environ,
            "BENCH_AUTHLIB_DB": f"sqlite:///{self.workdir / 'authlib-peer.db'}",
            "BENCH_AUTHLIB_ISSUER": self.setup.base_url,
            "BENCH_AUTHLIB_SECRET": secrets.token_urlsafe(32),
            "BENCH_AUTHLIB_WEB_SECRET": secrets.token_urlsafe(32),
            "BENCH_AUTHLIB_SERVICE_SECRET": secrets.token_urlsafe(32),
        }
        seeded = subprocess.run(
            [str(self.venv_bin / "python"), "seed.py"],
            cwd=PEER_DIR,
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        if seeded.returncode != 0:
            raise RuntimeError(f"authlib peer seed.py failed: {seeded.stderr[-800:]}")
        data = json.loads(seeded.stdout)
        self.username = data["user"]
        self.setup.web = Client(
            data["web"]["client_id"], data["web"]["client_secret"], data["web"]["redirect_uri"]
        )
        self.setup.service = Client(data["service"]["client_id"], data["service"]["client_secret"])
        self.setup.paths = Paths(
            token="/oauth/token",
            introspect="/oauth/introspect",
            authorize="/oauth/authorize",
            jwks="/jwks",
            discovery="/.well-known/openid-configuration",
        )
        argv = [
            str(self.venv_bin / "gunicorn"),
            "--chdir",
            str(PEER_DIR),
            "--workers",
            "1",
            "--worker-class",
            "sync",
            "--bind",
            f"127.0.0.1:{port}",
            "--no-control-socket",  # gunicorn 27 would otherwise create ~/.gunicorn/gunicorn.ctl
            "app:app",
        ]
        self.server = procs.start(
            self.key,
            argv,
            cpu=self.cpu,
            log=self.workdir / "server.log",
            env=env,
            cwd=PEER_DIR,
            stop_signal=signal.SIGINT,
        )
        procs.wait_http(self.server, self.setup.base_url + self.paths.discovery)

    def authorize(self, http: httpx.Client, params: dict[str, str]) -> str:
        response = http.get(self.paths.authorize + "?" + urlencode(params))
        for _ in range(6):
            location = response.headers.get("location", "")
            if response.status_code in (302, 303) and location.startswith("/"):
                response = http.get(location)
            elif response.status_code == 200 and 'action="/signin"' in response.text:
                nxt = _NEXT.search(response.text)
                form = {"username": self.username, "next": unescape(nxt.group(1)) if nxt else "/"}
                response = http.post("/signin", data=form)
            elif response.status_code == 200 and (action := _CONSENT_ACTION.search(response.text)):
                response = http.post(unescape(action.group(1)), data={"confirm": "yes"})
            else:
                break
        if response.status_code not in (302, 303):
            raise FlowError(f"authlib peer answered {response.status_code}: {response.text[:300]}")
        return code_from(response, self.web.redirect_uri)
