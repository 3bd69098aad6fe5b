"""An app's events endpoint that checks each deletion request before acknowledging it (DATA-2).

:func:`deletion_receiver` stands in for an app's RFC 8935 push endpoint on a loopback port. It
records every push like tests/integration/events/receiver.py's receiver, but, as a real app would,
it first checks the Security Event Token: its signature against the issuer's /jwks (joserfc, via
that module's ``verify``), the ``secevent+jwt`` header, the issuer, the one deletion-request
event and the user it names. A SET that fails a check is refused with RFC 8935's
``400 {"err": "invalid_request", ...}`` (the server then marks it failed, so a test sees it);
one that passes gets the next answer from the script (202 unless told otherwise).

:func:`deliver_later` runs the server's own delivery function (what the mail thread and
``consentry events deliver`` run) with the clock moved on, so a retry after a failure is due now
instead of after the real backoff.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx
from sqlalchemy import select

from consentry.domain.events.deliver import EventReport, backoff, drain
from consentry.domain.events.push import Pusher
from consentry.domain.events.types import deletion_uri
from consentry.domain.keys.envelope import Envelope
from consentry.domain.keys.manager import KeyManager
from consentry.storage.tables import Project, SecurityEvent
from consentry.storage.tables.base import now
from tests.integration.events.receiver import Push, Receiver, verify
from tests.support.databases import SECRET
from tests.support.seed import Seeder


@dataclass
class Checked:
    """One push as the app read it: the SET's header and claims, and what was wrong with it."""

    header: dict[str, Any]
    claims: dict[str, Any]
    problems: list[str]


@dataclass
class DeletionReceiver(Receiver):
    """A :class:`Receiver` that knows whose deletion request to expect and from which issuer."""

    issuer: str = ""
    sub: str = ""
    checked: list[Checked] = field(default_factory=list)

    def problems(self) -> list[str]:
        return [p for c in self.checked for p in c.problems]


def check_deletion_set(push: Push, issuer: str, sub: str) -> Checked:
    """What an app checks before it acts on a deletion request (RFC 8417, RFC 8935 §2)."""
    problems: list[str] = []
    if push.headers.get("content-type") != "application/secevent+jwt":
        problems.append(f"content-type {push.headers.get('content-type')!r}")
    try:
        jwks = httpx.get(issuer + "/jwks", timeout=5).json()
        header, claims = verify(push.body, jwks)
    except Exception as err:  # any failure to verify is the app's reason to refuse
        return Checked({}, {}, [f"signature: {type(err).__name__}: {err}"])
    if header.get("typ") != "secevent+jwt":
        problems.append(f"typ {header.get('typ')!r}")
    if claims.get("iss") != issuer:
        problems.append(f"iss {claims.get('iss')!r}")
    events = claims.get("events") or {}
    wanted = deletion_uri(issuer)
    if list(events) != [wanted]:
        problems.append(f"events {list(events)!r}, not [{wanted!r}]")
    subject = (events.get(wanted) or {}).get("subject") or {}
    if claims.get("sub") != sub or subject.get("sub") != sub or subject.get("iss") != issuer:
        problems.append(f"sub {claims.get('sub')!r} / subject {subject!r}, not {sub!r}")
    if "exp" in claims:
        problems.append("a SET has no exp (RFC 8417 §4)")
    return Checked(header, claims, problems)


@contextmanager
def deletion_receiver(
    issuer: str, sub: str, *script: tuple[int, dict[str, Any] | None]
) -> Iterator[DeletionReceiver]:
    """The app's endpoint on 127.0.0.1, answering each valid SET from ``script`` (default 202)."""
    receiver = DeletionReceiver(url="", issuer=issuer, sub=sub)
    if script:
        receiver.script = list(script)

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length).decode("ascii", "replace")
            push = Push(self.path, {k.lower(): v for k, v in self.headers.items()}, body)
            checked = check_deletion_set(push, receiver.issuer, receiver.sub)
            receiver.pushes.append(push)
            receiver.checked.append(checked)
            if checked.problems:
                status: int = 400
                doc: dict[str, Any] | None = {
                    "err": "invalid_request",
                    "description": "; ".join(checked.problems),
                }
            else:
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


def event_row(seeder: Seeder, jti: str | None = None) -> SecurityEvent:
    """The newest security event (or the one with ``jti``), detached, as the server recorded it."""
    with seeder.db.unit_of_work() as s:
        stmt = select(SecurityEvent).order_by(SecurityEvent.id.desc()).limit(1)
        if jti is not None:
            stmt = select(SecurityEvent).where(SecurityEvent.jti == jti)
        row = s.scalar(stmt)
        assert row is not None, "no security event"
        s.expunge(row)
        return row


def wait_until(check: Callable[[], bool], what: str, seconds: float = 15) -> None:
    deadline = time.monotonic() + seconds
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError(f"{what}: not within {seconds} s")
        time.sleep(0.1)


def deliver_later(seeder: Seeder, attempts: int) -> EventReport:
    """One delivery run of the server's database and keys, ``backoff(attempts)`` seconds from now:
    the retry after the ``attempts``-th failure is due, without waiting for it."""
    keys = KeyManager(seeder.db, Envelope(SECRET), publish_retired_for=3600)
    later = backoff(attempts) + 1
    return drain(seeder.db, keys, Pusher(timeout=5, allow_private=True), now=lambda: now() + later)


def project_id_of(seeder: Seeder, name: str) -> int:
    with seeder.db.unit_of_work() as s:
        found = s.scalar(select(Project.id).where(Project.name == name))
        assert found is not None, name
        return int(found)
