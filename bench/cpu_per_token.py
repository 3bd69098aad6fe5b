"""CPU per client-credentials token, in-process: the app without HTTP, for comparing two trees.

bench/run measures throughput against the peers; this isolates Consentry's own CPU per token
(the protocol adapter, Authlib, the gate, the batched commit with its fsync thread) from
uvicorn, wrk and the machine's noise, so that a change of a few microseconds shows. It drives
the ASGI app directly with 32 concurrent requests, as wrk does at c=32, and prints the process's
CPU per token (every thread) and the event loop thread's share.

Usage, against a SQLite database set up by the tree under test::

    export CONSENTRY_DATABASE_URL=sqlite:////tmp/cpt/c.db CONSENTRY_SECRET_KEY=$(openssl rand -hex 24)
    export CONSENTRY_ISSUER=http://127.0.0.1:9999 CONSENTRY_ENVIRONMENT=development
    consentry db upgrade && consentry demo --json > /tmp/cpt/demo.json
    consentry client create "$(jq -r .project /tmp/cpt/demo.json)" --type service --json > /tmp/cpt/svc.json
    PYTHONPATH=<tree>/src .venv/bin/python bench/cpu_per_token.py /tmp/cpt/svc.json [--tokens 20000]

Run each tree several times, interleaved: this machine's speed drifts by minutes.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import json
import time
from typing import Any

CONCURRENCY = 32


class _Lifespan:
    """Start-up and shutdown, as uvicorn sends them (the store's threads start and stop)."""

    def __init__(self, app: Any) -> None:
        self.app = app
        self.inbox: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
        self.outbox: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
        self.task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        scope = {"type": "lifespan", "asgi": {"version": "3.0"}, "state": {}}
        self.task = asyncio.get_running_loop().create_task(self.app(scope, self.inbox.get, self.outbox.put))
        await self._step("startup")

    async def stop(self) -> None:
        await self._step("shutdown")
        if self.task is not None:
            await self.task

    async def _step(self, step: str) -> None:
        await self.inbox.put({"type": f"lifespan.{step}"})
        answer = await self.outbox.get()
        if answer["type"] != f"lifespan.{step}.complete":
            raise SystemExit(f"{step} failed: {answer}")


def _request(authorization: bytes) -> tuple[dict[str, Any], bytes]:
    body = b"grant_type=client_credentials"
    headers = [
        (b"host", b"127.0.0.1:9999"),
        (b"authorization", authorization),
        (b"content-type", b"application/x-www-form-urlencoded"),
        (b"content-length", str(len(body)).encode()),
    ]
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "path": "/token",
        "raw_path": b"/token",
        "query_string": b"",
        "root_path": "",
        "headers": headers,
        "client": ("127.0.0.1", 50000),
        "server": ("127.0.0.1", 9999),
        "state": {},
    }
    return scope, body


async def _one(app: Any, scope: dict[str, Any], body: bytes, statuses: dict[int, int]) -> None:
    delivered = False

    async def receive() -> dict[str, Any]:
        nonlocal delivered
        if not delivered:
            delivered = True
            return {"type": "http.request", "body": body, "more_body": False}
        await asyncio.sleep(3600)  # the client never hangs up
        raise AssertionError

    async def send(message: dict[str, Any]) -> None:
        if message["type"] == "http.response.start":
            statuses[message["status"]] = statuses.get(message["status"], 0) + 1

    await app(dict(scope), receive, send)


async def _run(app: Any, scope: dict[str, Any], body: bytes, each: int, statuses: dict[int, int]) -> None:
    async def worker() -> None:
        for _ in range(each):
            await _one(app, scope, body, statuses)

    await asyncio.gather(*(worker() for _ in range(CONCURRENCY)))


async def main(service: dict[str, str], tokens: int) -> None:
    from consentry.app import create_app

    app = create_app()
    lifespan = _Lifespan(app)
    await lifespan.start()
    secret = f"{service['client_id']}:{service['client_secret']}".encode()
    scope, body = _request(b"Basic " + base64.b64encode(secret))
    warm: dict[int, int] = {}
    await _run(app, scope, body, 50, warm)
    statuses: dict[int, int] = {}
    each = max(1, tokens // CONCURRENCY)
    wall, cpu, loop_cpu = time.perf_counter(), time.process_time(), time.thread_time()
    await _run(app, scope, body, each, statuses)
    n = each * CONCURRENCY
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    loop_cpu = time.thread_time() - loop_cpu
    print(
        json.dumps(
            {
                "tokens": n,
                "per_second": round(n / wall),
                "cpu_us_per_token": round(1e6 * cpu / n, 1),
                "event_loop_cpu_us_per_token": round(1e6 * loop_cpu / n, 1),
                "statuses": statuses,
            }
        ),
        flush=True,
    )
    await lifespan.stop()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("service", help="the JSON `consentry client create --type service --json` printed")
    parser.add_argument("--tokens", type=int, default=20000, help="tokens to measure (after 1,600 warm-up)")
    args = parser.parse_args()
    with open(args.service) as f:
        service = json.load(f)
    asyncio.run(main(service, args.tokens))
