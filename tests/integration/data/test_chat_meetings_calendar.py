"""/data/v1/chat, /meetings and /calendar: reads and writes each need their own scopes (AUTH0-4)."""

from __future__ import annotations

import json
import time

from tests.integration.data.conftest import FRIEND, USER


def test_chat_spaces_messages_and_members(api_for, seed) -> None:
    seed.user("stranger@example.com")
    spaces = api_for("chat.spaces.readonly")
    listing = spaces("GET", "/data/v1/chat/spaces").json()["spaces"]
    assert [s["display_name"] for s in listing] == ["General"]
    sid = listing[0]["id"]
    assert spaces("GET", f"/data/v1/chat/spaces/{sid}/messages").status_code == 403  # restricted content
    reader = api_for("chat.messages.readonly")
    texts = [m["text"] for m in reader("GET", f"/data/v1/chat/spaces/{sid}/messages").json()["messages"]]
    assert texts == ["Hello from Dana!", "Hello from Eli!"]
    assert reader("POST", f"/data/v1/chat/spaces/{sid}/messages", json={"text": "hi"}).status_code == 403
    writer = api_for("chat.messages.create")
    posted = writer("POST", f"/data/v1/chat/spaces/{sid}/messages", json={"text": "On my way"})
    assert posted.status_code == 201 and posted.json()["sender"] == USER
    assert writer("GET", f"/data/v1/chat/spaces/{sid}/messages").status_code == 403
    members = api_for("chat.memberships")
    assert [m["email"] for m in members("GET", f"/data/v1/chat/spaces/{sid}/members").json()["members"]] == [
        USER,
        FRIEND,
    ]
    added = members("POST", f"/data/v1/chat/spaces/{sid}/members", json={"email": "stranger@example.com"})
    assert added.status_code == 201
    manager = api_for("chat.spaces")
    new = manager("POST", "/data/v1/chat/spaces", json={"display_name": "Project X"})
    assert new.status_code == 201
    # A space the user is not in is invisible to every scope.
    other = api_for("chat.messages", email=FRIEND)
    assert other("GET", f"/data/v1/chat/spaces/{new.json()['id']}/messages").status_code == 404


def test_meetings_created_scope_sees_only_its_spaces(api_for) -> None:
    created = api_for("meetings.space.created")
    assert created("GET", "/data/v1/meetings/spaces").json()["spaces"] == []
    made = created("POST", "/data/v1/meetings/spaces", json={"access_type": "open"})
    assert made.status_code == 201 and made.json()["meeting_uri"].endswith(made.json()["meeting_code"])
    assert [s["id"] for s in created("GET", "/data/v1/meetings/spaces").json()["spaces"]] == [
        made.json()["id"]
    ]
    everything = api_for("meetings.space.readonly")
    spaces = everything("GET", "/data/v1/meetings/spaces").json()["spaces"]
    assert len(spaces) == 2
    demo = next(s for s in spaces if s["id"] != made.json()["id"])
    people = everything("GET", f"/data/v1/meetings/spaces/{demo['id']}/participants").json()["participants"]
    assert sorted(p["email"] for p in people) == [USER, FRIEND]
    assert created("GET", f"/data/v1/meetings/spaces/{demo['id']}").status_code == 404
    assert everything("POST", "/data/v1/meetings/spaces", json={}).status_code == 403
    assert everything("GET", f"/data/v1/meetings/spaces/{demo['id']}/media").status_code == 403


def test_media_stream_needs_the_restricted_media_scope(api_for) -> None:  # SCOPE-2 (meetings)
    api = api_for("meetings.media.readonly", "meetings.space.readonly")
    space = api("GET", "/data/v1/meetings/spaces").json()["spaces"][0]["id"]
    r = api("GET", f"/data/v1/meetings/spaces/{space}/media", params={"frames": 3})
    assert r.status_code == 200 and r.headers["content-type"].startswith("application/x-ndjson")
    frames = [json.loads(line) for line in r.text.splitlines()]
    assert [(f["seq"], f["kind"]) for f in frames] == [(n, k) for n in range(3) for k in ("audio", "video")]
    assert api("GET", "/data/v1/meetings/spaces/nope/media").status_code == 404


def test_calendar_events_and_freebusy(api_for) -> None:
    busy_only = api_for("calendar.freebusy")
    now = int(time.time())
    fb = busy_only("GET", "/data/v1/calendar/freebusy", params={"start": now, "end": now + 7 * 86400})
    assert fb.status_code == 200
    assert len(fb.json()["busy"]) == 3 and "summary" not in json.dumps(fb.json())  # times, never details
    assert busy_only("GET", "/data/v1/calendar/events").status_code == 403
    bad = busy_only("GET", "/data/v1/calendar/freebusy", params={"start": now, "end": now - 1})
    assert bad.status_code == 400
    reader = api_for("calendar.events.readonly")
    events = reader("GET", "/data/v1/calendar/events").json()["events"]
    assert [e["summary"] for e in events] == ["Stand-up", "Design review", "Dentist"]
    assert (
        reader(
            "POST", "/data/v1/calendar/events", json={"summary": "x", "starts_at": now, "ends_at": now + 60}
        ).status_code
        == 403
    )
    writer = api_for("calendar.events")
    made = writer(
        "POST",
        "/data/v1/calendar/events",
        json={"summary": "Launch", "starts_at": now, "ends_at": now + 3600},
    )
    assert made.status_code == 201
    assert writer("GET", f"/data/v1/calendar/events/{made.json()['id']}").json()["summary"] == "Launch"
    assert (
        writer(
            "POST", "/data/v1/calendar/events", json={"summary": "x", "starts_at": now, "ends_at": now}
        ).status_code
        == 400
    )
    assert writer("DELETE", f"/data/v1/calendar/events/{made.json()['id']}").status_code == 204
    assert writer("GET", f"/data/v1/calendar/events/{made.json()['id']}").status_code == 404
