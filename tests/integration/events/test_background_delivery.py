"""A running server pushes queued events by itself: the mail thread drains them each turn.

# DATA-4: nobody runs ``consentry events deliver``; an event queued in the database reaches the
app's endpoint within a couple of the thread's intervals (a real uvicorn process, on both engines).
"""

from __future__ import annotations

import time

import httpx

from consentry.domain.events.emit import emit
from tests.integration.events.helpers import World, events, set_endpoint_row
from tests.integration.events.receiver import set_receiver, verify
from tests.support.databases import SECRET
from tests.support.live import free_port, start_server


def test_the_server_delivers_queued_events_on_its_own(world: World, database_url: str) -> None:  # DATA-4
    port = free_port()
    issuer = f"http://127.0.0.1:{port}"
    env = {
        "CONSENTRY_SECRET_KEY": SECRET,
        "CONSENTRY_MAIL_INTERVAL": "1",
        "CONSENTRY_FETCH_ALLOW_PRIVATE": "true",
        "CONSENTRY_SMTP_URL": "smtp://127.0.0.1:9",  # no mail server; the events do not need one
    }
    server = start_server(database_url, port=port, env=env)
    try:
        with set_receiver() as receiver:
            set_endpoint_row(world.seed.db, world.project_id, receiver.url)
            with world.seed.db.unit_of_work() as s:
                emit(s, event="sessions-revoked", user_id=world.bob_id, issuer=issuer)
            assert receiver.arrived.wait(15), "no push within 15 s"
            deadline = time.monotonic() + 10
            while events(world.seed.db)[0]["status"] != "delivered" and time.monotonic() < deadline:
                time.sleep(0.1)
        jwks = httpx.get(issuer + "/jwks").json()
    finally:
        server.stop()
    header, claims = verify(receiver.pushes[0].body, jwks)
    assert header["typ"] == "secevent+jwt" and claims["iss"] == issuer
    [row] = events(world.seed.db)
    assert row["jti"] == claims["jti"] and row["status"] == "delivered" and row["attempts"] == 1
