"""Request bodies are bounded in size (ISSUE-9.3) and time, and a hang-up is no crash (ISSUE-9.4).

These drive the ASGI app in process; test_body_limits_live.py does the same over a real socket.
"""

from __future__ import annotations

import asyncio
import base64
import json
import logging
from collections.abc import Awaitable, Callable, Iterator
from typing import Any

import pytest
from starlette import types as asgi

from consentry.app import create_app
from consentry.web.body_limit import BodyLimit
from consentry.web.body_rules import RouteTable
from tests.support.loops import own_loop

FORM = {"content-type": "application/x-www-form-urlencoded"}
JSON = {"content-type": "application/json"}
OVER_FORM = b"token=" + b"a" * (16 * 1024)  # one form just over 16 KiB
PROTOCOL = ["/revoke", "/device/code", "/token", "/introspect"]
TOO_LARGE_FORM = "The request body is larger than 16 KiB, the most this endpoint accepts."


def test_protocol_endpoints_refuse_an_oversized_form_in_rfc6749_json(client):
    # ISSUE-9.3 body limit: /revoke and /device/code (FastAPI), /token and /introspect (token lane)
    for path in PROTOCOL:
        r = client.post(path, content=OVER_FORM, headers=FORM)
        assert r.status_code == 413, path
        assert r.json() == {"error": "invalid_request", "error_description": TOO_LARGE_FORM}, path
        assert r.headers["connection"] == "close" and r.headers["cache-control"] == "no-store"
        assert "frame-ancestors 'none'" in r.headers["content-security-policy"]


def test_a_chunked_body_without_content_length_is_counted(client):
    # ISSUE-9.3 body limit: no Content-Length to check up front, so the chunks are counted
    def chunks() -> Iterator[bytes]:
        yield b"token="
        for _ in range(5):
            yield b"a" * 4096

    for path in ("/revoke", "/token"):
        r = client.post(path, content=chunks(), headers=FORM)
        assert (
            "content-length" not in r.request.headers and r.request.headers["transfer-encoding"] == "chunked"
        )
        assert r.status_code == 413 and r.json()["error_description"] == TOO_LARGE_FORM, path


def test_the_sign_in_page_refuses_an_oversized_form_with_an_html_page(client):
    # ISSUE-9.3 body limit: browser forms get the HTML error page
    r = client.post("/signin", content=b"email=" + b"a" * 17_000, headers={**FORM, "accept": "text/html"})
    assert r.status_code == 413 and r.headers["content-type"].startswith("text/html")
    assert "<h1>Request too large</h1>" in r.text and "<code>content_too_large</code>" in r.text
    assert TOO_LARGE_FORM in r.text


def test_json_apis_refuse_over_1_mib_and_the_file_api_admits_its_own_maximum(client):
    # ISSUE-9.3 body limit: JSON APIs answer in their own JSON format, sized per route
    big = json.dumps({"summary": "x", "description": "x" * (1024 * 1024)})
    r = client.post("/data/v1/calendar/events", content=big, headers=JSON)
    assert r.status_code == 413
    assert r.json() == {
        "error": "content_too_large",
        "error_description": "The request body is larger than 1 MiB, the most this endpoint accepts.",
    }
    # A 5 MiB file (domain/data/files.py MAX_CONTENT) as base64 in JSON passes the limit: the guard
    # answers (no token), not the body limit.
    file = json.dumps({"name": "f.bin", "content_base64": base64.b64encode(bytes(5 * 1024 * 1024)).decode()})
    assert len(file) > 6 * 1024 * 1024
    assert client.post("/data/v1/files", content=file, headers=JSON).status_code == 401
    r = client.post("/data/v1/files", content=file + " " * (2 * 1024 * 1024), headers=JSON)
    assert r.status_code == 413 and "larger than 8 MiB" in r.json()["error_description"]


Receive = Callable[[], Awaitable[dict[str, Any]]]


def _call(app: Any, path: str, headers: list[tuple[bytes, bytes]], receive: Receive) -> list[dict[str, Any]]:
    """One request straight into the ASGI app; returns what it sent."""
    sent: list[dict[str, Any]] = []
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "root_path": "",
        "query_string": b"",
        "headers": [(b"host", b"testserver.local"), *headers],
        "client": ("127.0.0.1", 50000),
        "server": ("testserver.local", 80),
        "state": {},
    }

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    own_loop(lambda: asyncio.wait_for(app(scope, receive, send), 5))  # fail, not hang, without a timeout
    return sent


CHUNKED = [(b"content-type", b"application/x-www-form-urlencoded"), (b"transfer-encoding", b"chunked")]


def test_an_endless_stream_is_cut_off_at_the_limit(app):
    # ISSUE-9.3 body limit: reading stops once the count passes the limit; nothing more is buffered
    calls = 0

    async def endless() -> dict[str, Any]:
        nonlocal calls
        calls += 1
        return {
            "type": "http.request",
            "body": b"a" * 1024,
            "more_body": calls < 1000,
        }  # ends at 1 MB only for code with no limit

    for path in ("/revoke", "/token"):
        calls = 0
        sent = _call(app, path, CHUNKED, endless)
        assert sent[0]["status"] == 413 and (b"connection", b"close") in sent[0]["headers"]
        assert json.loads(sent[1]["body"])["error_description"] == TOO_LARGE_FORM
        assert calls == 17, path  # 17 KiB read, then refused


def test_a_stalled_body_is_answered_408_in_the_endpoint_format(settings):
    # ISSUE-9.4 read timeout: a body that stops arriving gets 408 when the timeout passes
    app = create_app(settings.model_copy(update={"body_read_timeout": 0.2}))
    for path, accept in (("/revoke", b"*/*"), ("/token", b"*/*"), ("/signin", b"text/html")):
        first = True

        async def stalls() -> dict[str, Any]:
            nonlocal first
            if first:
                first = False
                return {"type": "http.request", "body": b"token=abc", "more_body": True}
            await asyncio.Event().wait()  # the rest never comes
            raise AssertionError("unreachable")

        sent = _call(app, path, [*CHUNKED, (b"accept", accept)], stalls)
        assert sent[0]["status"] == 408 and (b"connection", b"close") in sent[0]["headers"], path
        if path == "/signin":
            assert b"<h1>Request timed out</h1>" in sent[1]["body"]
            assert b"<code>request_timeout</code>" in sent[1]["body"]
        else:
            assert json.loads(sent[1]["body"]) == {
                "error": "invalid_request",
                "error_description": "The request body did not arrive within 0.2 seconds.",
            }


def test_a_large_upload_that_keeps_coming_outlasts_the_timeout(settings):
    # ISSUE-9.4 read timeout: each 64 KiB received earns a second, so slow links can still upload
    app = create_app(settings.model_copy(update={"body_read_timeout": 0.2}))
    a64k = b"a" * 64 * 1024
    parts = [b'{"name": "f.txt", "content": "' + a64k, a64k, a64k, a64k + b'"}']

    async def steady() -> dict[str, Any]:
        if len(parts) < 4:
            await asyncio.sleep(0.25)  # 0.75 s in all, almost four times the timeout
        part = parts.pop(0)
        return {"type": "http.request", "body": part, "more_body": bool(parts)}

    sent = _call(app, "/data/v1/files", [(b"content-type", b"application/json"), *CHUNKED[1:]], steady)
    assert sent[0]["status"] == 401  # the whole body arrived; the guard answers (no token)


def test_only_the_read_timeout_becomes_a_408_other_cancellations_stay_cancellations():
    # ISSUE-9.4 read timeout: the timeout cancels the waiting read; a server shutting a task down
    # (a cancellation that is not ours) must still stop it, not be answered 408
    async def reads(scope: asgi.Scope, receive: asgi.Receive, send: asgi.Send) -> None:
        await receive()

    async def forever() -> asgi.Message:
        await asyncio.Event().wait()
        raise AssertionError("unreachable")

    sent: list[asgi.Message] = []

    async def send(message: asgi.Message) -> None:
        sent.append(message)

    async def main() -> None:
        guarded = BodyLimit(reads, RouteTable(), read_timeout=60, https=False)
        scope = {
            "type": "http",
            "http_version": "1.1",
            "method": "POST",
            "path": "/revoke",
            "headers": CHUNKED,
        }
        task = asyncio.create_task(guarded(scope, forever, send))
        await asyncio.sleep(0.05)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task

    own_loop(main)
    assert sent == []


def test_a_client_gone_mid_body_ends_the_request_without_an_answer_or_a_traceback(app, caplog):
    # ISSUE-9.4 disconnects: no 500, nothing logged above debug, on every kind of endpoint
    caplog.set_level(logging.DEBUG)
    paths = {"/revoke": FORM, "/token": FORM, "/signin": FORM, "/data/v1/files": JSON}
    for path, headers in paths.items():
        messages: Iterator[dict[str, Any]] = iter(
            [{"type": "http.request", "body": b"{", "more_body": True}, {"type": "http.disconnect"}]
        )

        async def hangs_up() -> dict[str, Any]:
            return next(messages)

        raw = [(k.encode(), v.encode()) for k, v in headers.items()] + [(b"content-length", b"5000")]
        assert _call(app, path, raw, hangs_up) == [], path
    assert [r for r in caplog.records if r.levelno > logging.DEBUG or r.exc_info] == []


def test_a_disconnect_before_a_bodyless_form_is_read_is_not_a_crash(app, caplog):
    # ISSUE-9.4 disconnects: the app's own ClientDisconnect (no body to guard) is not logged as a crash
    async def gone() -> dict[str, Any]:
        return {"type": "http.disconnect"}

    sent = _call(app, "/revoke", [], gone)
    assert sent[0]["status"] == 400  # to nobody: the server drops it, the client is gone
    assert [r for r in caplog.records if r.levelno >= logging.WARNING] == []
