"""A real HTTP server on 127.0.0.1 serving scripted pages, for the fetcher and the pre-checks."""

from __future__ import annotations

import ssl
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from io import BufferedIOBase

import pytest

#: Writes a whole raw answer (status line included) for pages that misbehave on purpose.
Writer = Callable[[BufferedIOBase], object]


@dataclass
class Page:
    body: bytes | str = b""
    status: int = 200
    content_type: str = "text/html; charset=utf-8"
    headers: dict[str, str] = field(default_factory=dict)
    writer: Writer | None = None


@dataclass
class Site:
    """The pages by path, and every request seen as (path, Host header)."""

    host: str
    port: int
    scheme: str = "http"
    pages: dict[str, Page] = field(default_factory=dict)
    seen: list[tuple[str, str]] = field(default_factory=list)

    def url(self, path: str = "/", host: str | None = None) -> str:
        return f"{self.scheme}://{host or self.host}:{self.port}{path}"

    def page(self, path: str, body: bytes | str = b"", **kwargs: object) -> None:
        self.pages[path] = Page(body, **kwargs)  # type: ignore[arg-type]

    def redirect(self, path: str, location: str, status: int = 302) -> None:
        self.pages[path] = Page(b"", status=status, headers={"Location": location})

    def paths(self) -> list[str]:
        return [path for path, _ in self.seen]


class _Handler(BaseHTTPRequestHandler):
    site: Site

    def do_GET(self) -> None:
        self.site.seen.append((self.path, self.headers.get("Host", "")))
        page = self.site.pages.get(self.path.split("?", 1)[0]) or Page(b"<h1>Not found</h1>", status=404)
        try:
            if page.writer is not None:
                page.writer(self.wfile)
                return
            body = page.body.encode() if isinstance(page.body, str) else page.body
            self.send_response(page.status)
            self.send_header("Content-Type", page.content_type)
            self.send_header("Content-Length", str(len(body)))
            for name, value in page.headers.items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(body)
        except (BrokenPipeError, ConnectionResetError, ssl.SSLError):
            pass  # the fetcher hung up on purpose (size or time limit)

    def log_message(self, format: str, *args: object) -> None:
        pass


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False

    def handle_error(self, request: object, client_address: object) -> None:
        pass  # refused handshakes and hang-ups are part of the tests


def start_site(context: ssl.SSLContext | None = None) -> tuple[Site, Callable[[], None]]:
    server = _Server(("127.0.0.1", 0), _Handler)
    port = int(server.server_address[1])
    site = Site("127.0.0.1", port, scheme="https" if context else "http")
    if context is not None:
        server.socket = context.wrap_socket(server.socket, server_side=True)
    server.RequestHandlerClass = type("Handler", (_Handler,), {"site": site})
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()

    def stop() -> None:
        server.shutdown()
        server.server_close()

    return site, stop


@pytest.fixture
def site() -> Iterator[Site]:
    served, stop = start_site()
    yield served
    stop()
