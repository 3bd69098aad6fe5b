"""A Security Event Token receiver (RFC 8935 §2) on a loopback port, standing in for an app.

It records every push (headers and body) and answers from a script of ``(status, json_body)``
pairs, the last one repeated: ``[(500, None), (202, None)]`` fails once, then acknowledges.
``verify`` checks a received SET against the issuer's published keys with joserfc, as an app
would, and returns its header and claims.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, cast

from joserfc import jwt
from joserfc.jwk import KeySet, KeySetSerialization


@dataclass
class Push:
    path: str
    headers: dict[str, str]
    body: str


@dataclass
class Receiver:
    url: str
    pushes: list[Push] = field(default_factory=list)
    script: list[tuple[int, dict[str, Any] | None]] = field(default_factory=lambda: [(202, None)])
    arrived: threading.Event = field(default_factory=threading.Event)

    def answer(self) -> tuple[int, dict[str, Any] | None]:
        return self.script.pop(0) if len(self.script) > 1 else self.script[0]


@contextmanager
def set_receiver(*script: tuple[int, dict[str, Any] | None]) -> Iterator[Receiver]:
    receiver = Receiver(url="")
    if script:
        receiver.script = list(script)

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length).decode("ascii", "replace")
            receiver.pushes.append(Push(self.path, {k.lower(): v for k, v in self.headers.items()}, body))
            status, doc = receiver.answer()
            payload = json.dumps(doc).encode() if doc is not None else b""
            self.send_response(status)
            if payload:
                self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)
            receiver.arrived.set()

        def log_message(self, format: str, *args: Any) -> None:
            pass

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    receiver.url = f"http://127.0.0.1:{httpd.server_address[1]}/security-events"
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield receiver
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join(timeout=5)


def verify(token: str, jwks: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """The SET's (header, claims), its RS256 signature checked against ``jwks`` (the issuer's /jwks)."""
    decoded = jwt.decode(token, KeySet.import_key_set(cast(KeySetSerialization, jwks)), algorithms=["RS256"])
    return dict(decoded.header), dict(decoded.claims)
