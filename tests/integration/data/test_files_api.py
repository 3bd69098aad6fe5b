"""/data/v1/files: the per-file scope sees only what the app created or the user picked (SCOPE-2)."""

from __future__ import annotations

import base64

from consentry.domain.data import files as files_service
from consentry.storage.tables import Client, StoredFile, User
from tests.integration.data.conftest import USER


def _names(api, **params) -> list[str]:
    r = api("GET", "/data/v1/files", params=params)
    assert r.status_code == 200, r.text
    return sorted(f["name"] for f in r.json()["files"])


def test_readonly_sees_every_file_and_downloads_content(api_for) -> None:
    api = api_for("files.readonly")
    assert _names(api) == ["Budget 2027.csv", "Holiday photos.json", "Quarterly report.txt"]
    report = next(
        f for f in api("GET", "/data/v1/files").json()["files"] if f["name"].startswith("Quarterly")
    )
    content = api("GET", f"/data/v1/files/{report['id']}/content")
    assert content.status_code == 200 and content.content == b"Revenue grew 12% over the quarter."
    assert content.headers["content-disposition"] == "attachment"
    assert api("POST", "/data/v1/files", json={"name": "x.txt", "content": "x"}).status_code == 403


def test_per_file_scope_sees_only_created_and_picked_files(api_for, seed, app_client) -> None:  # SCOPE-2
    api = api_for("files.file")
    assert _names(api) == []  # nothing created or picked yet: the user's files stay hidden
    made = api(
        "POST",
        "/data/v1/files",
        json={"name": "notes.md", "content": "# Notes", "mime_type": "text/markdown"},
    )
    assert made.status_code == 201, made.text
    assert _names(api) == ["notes.md"]
    # The user picks one of their files for this app (the file picker): now it is visible too.
    with seed.db.unit_of_work() as s:
        owner = s.query(User).filter_by(email=USER).one().id
        budget = s.query(StoredFile).filter_by(name="Budget 2027.csv", owner_id=owner).one()
        project_id = s.get(Client, app_client.pk).project_id
        files_service.pick(s, owner, project_id, budget.public_id)
        hidden = s.query(StoredFile).filter_by(name="Quarterly report.txt", owner_id=owner).one().public_id
    assert _names(api) == ["Budget 2027.csv", "notes.md"]
    # A file it may not see answers 404, exactly like a missing one: no existence oracle.
    assert api("GET", f"/data/v1/files/{hidden}").status_code == 404
    assert api("GET", f"/data/v1/files/{hidden}/content").status_code == 404
    assert api("DELETE", f"/data/v1/files/{hidden}").status_code == 404
    # It may rename, share and delete its own files.
    fid = made.json()["id"]
    assert api("PATCH", f"/data/v1/files/{fid}", json={"name": "renamed.md"}).json()["name"] == "renamed.md"
    share = api(
        "POST", f"/data/v1/files/{fid}/permissions", json={"email": "Friend@Example.com", "role": "writer"}
    )
    assert share.status_code == 201 and share.json() == {"email": "friend@example.com", "role": "writer"}
    assert api("DELETE", f"/data/v1/files/{fid}").status_code == 204
    assert _names(api) == ["Budget 2027.csv"]


def test_appdata_is_a_separate_hidden_folder(api_for) -> None:
    api = api_for("files.appdata")
    body = {
        "name": "settings.json",
        "content_base64": base64.b64encode(b'{"theme":"dark"}').decode(),
        "space": "appdata",
    }
    assert api("POST", "/data/v1/files", json=body).status_code == 201
    assert _names(api, space="appdata") == ["settings.json"]
    assert _names(api) == []  # none of the user's visible files
    assert api("POST", "/data/v1/files", json={"name": "x.txt", "content": "x"}).status_code == 403
    # The full files scope never sees another app's hidden folder.
    full = api_for("files")
    assert _names(full, space="appdata") == []
    assert "settings.json" not in _names(full)


def test_metadata_scopes_never_read_content(api_for) -> None:  # SCOPE-2
    api = api_for("files.metadata.readonly")
    listing = api("GET", "/data/v1/files").json()["files"]
    assert len(listing) == 3
    assert api("GET", f"/data/v1/files/{listing[0]['id']}/content").status_code == 403
    assert api("PATCH", f"/data/v1/files/{listing[0]['id']}", json={"name": "n"}).status_code == 403
    writer = api_for("files.metadata")
    r = writer("PATCH", f"/data/v1/files/{listing[0]['id']}", json={"description": "checked"})
    assert r.status_code == 200 and r.json()["description"] == "checked"


def test_bad_input_is_a_clear_400(api_for) -> None:
    api = api_for("files")
    r = api("POST", "/data/v1/files", json={"name": "a", "content_base64": "%%%"})
    assert r.status_code == 400 and r.json()["error"] == "invalid_request"
    r = api("POST", "/data/v1/files", json={"name": "a", "content": "x", "content_base64": "eA=="})
    assert r.status_code == 400
    assert api("POST", "/data/v1/files", json={"name": ""}).status_code == 400
    assert api("GET", "/data/v1/files", params={"space": "other"}).status_code == 400
