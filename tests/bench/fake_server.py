"""A tiny local HTTP server with just enough OAuth behaviour to test the wrk Lua scripts against.

It listens on 127.0.0.1 only, speaks HTTP/1.1 keep-alive (as the real servers do) and enforces what
the scripts must respect: refresh tokens and codes are single-use (a reuse gets 400).
"""

from __future__ import annotations

import itertools
import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs


class FakeState:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.counter = itertools.count(1)
        self.live_refresh: set[str] = set()
        self.live_codes: set[str] = set()
        self.reused = 0

    def new(self, prefix: str, into: set[str]) -> str:
        with self.lock:
            value = f"{prefix}{next(self.counter)}"
            into.add(value)
            return value

    def spend(self, value: str, pool: set[str]) -> bool:
        with self.lock:
            if value in pool:
                pool.remove(value)
                return True
            self.reused += 1
            return False


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: FakeServer

    def log_message(self, format: str, *args: object) -> None:  # quiet
        return

    def reply(
        self, status: int, body: dict[str, object] | None = None, headers: dict[str, str] | None = None
    ):
        data = json.dumps(body or {}).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        for key, value in (headers or {}).items():
            self.send_header(key, value)
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self) -> None:
        state = self.server.state
        if self.path.startswith("/status/"):
            self.reply(int(self.path.rsplit("/", 1)[1]), {"error": "as asked"})
        elif self.path.startswith("/authorize-error"):
            self.reply(302, None, {"Location": "http://127.0.0.1:8765/cb?error=login_required"})
        elif self.path.startswith("/authorize"):
            code = state.new("code", state.live_codes)
            self.reply(302, None, {"Location": f"http://127.0.0.1:8765/cb?code={code}&state=bench"})
        else:
            self.reply(404)

    def do_POST(self) -> None:
        state = self.server.state
        length = int(self.headers.get("Content-Length", "0"))
        form = {k: v[0] for k, v in parse_qs(self.rfile.read(length).decode()).items()}
        if self.path == "/introspect-active":
            self.reply(200, {"active": True, "scope": "openid"})
        elif self.path == "/introspect-inactive":
            self.reply(200, {"active": False})
        elif self.path == "/token" and form.get("grant_type") == "refresh_token":
            if not state.spend(form.get("refresh_token", ""), state.live_refresh):
                self.reply(400, {"error": "invalid_grant"})
                return
            new = state.new("rt", state.live_refresh)
            self.reply(200, {"access_token": "at", "token_type": "Bearer", "refresh_token": new})
        elif self.path == "/token" and form.get("grant_type") == "authorization_code":
            if not state.spend(form.get("code", ""), state.live_codes) or not form.get("code_verifier"):
                self.reply(400, {"error": "invalid_grant"})
                return
            self.reply(200, {"access_token": "at", "token_type": "Bearer"})
        else:
            self.reply(404)


class FakeServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), Handler)
        self.state = FakeState()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"


@contextmanager
def fake_server() -> Iterator[FakeServer]:
    server = FakeServer()
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()
