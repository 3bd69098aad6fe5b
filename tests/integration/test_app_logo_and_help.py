"""The app logo route and the user help page on managing data, over HTTP (CONSENT-1, CONSENT-7).

On SQLite and PostgreSQL: the logo is read from the project row, so both engines serve its bytes.
"""

from __future__ import annotations

import io
import re
from html import unescape

import pytest
from PIL import Image
from starlette.testclient import TestClient

from consentry.domain.projects.logo import reencode_logo
from consentry.storage.tables import Client
from consentry.storage.tables.base import now
from tests.support.seed import SeededClient, Seeder


def _png() -> bytes:
    out = io.BytesIO()
    Image.new("RGBA", (96, 96), (200, 40, 40, 255)).save(out, format="PNG")
    return reencode_logo(out.getvalue())


def _with_logo(seed: Seeder, logo: bytes | None) -> SeededClient:
    client = seed.client("web", name="Photo Sorter")
    with seed.db.unit_of_work() as s:
        s.get(Client, client.pk).project.logo_png = logo  # type: ignore[union-attr]
    return client


def _url(client: SeededClient) -> str:
    return f"/apps/{client.client_id}/logo.png"


# --- the logo ------------------------------------------------------------------------------------------


def test_the_logo_is_served_as_a_png_that_cannot_be_sniffed(
    seed: Seeder, client: TestClient
) -> None:  # CONSENT-1
    logo = _png()
    app = _with_logo(seed, logo)
    r = client.get(_url(app))
    assert r.status_code == 200
    assert r.content == logo
    assert r.headers["content-type"] == "image/png"
    assert r.headers["x-content-type-options"] == "nosniff"
    assert r.headers["cache-control"] == "public, max-age=300"
    assert r.headers["content-length"] == str(len(logo))
    etag = r.headers["etag"]
    assert re.fullmatch(r'"[0-9a-f]{32}"', etag)
    # Revalidation: the same logo answers 304 without a body.
    again = client.get(_url(app), headers={"If-None-Match": etag})
    assert again.status_code == 304 and again.content == b""
    assert client.get(_url(app), headers={"If-None-Match": '"other"'}).status_code == 200
    head = client.head(_url(app))
    assert head.status_code == 200 and head.content == b"" and head.headers["content-type"] == "image/png"


def test_every_client_of_the_project_shows_its_logo_and_a_new_logo_changes_the_etag(
    seed: Seeder, client: TestClient
) -> None:  # CONSENT-1
    first = _with_logo(seed, _png())
    etag = client.get(_url(first)).headers["etag"]
    with seed.db.unit_of_work() as s:
        project = s.get(Client, first.pk).project  # type: ignore[union-attr]
        name = project.name
        out = io.BytesIO()
        Image.new("RGBA", (96, 96), (10, 200, 40, 255)).save(out, format="PNG")
        project.logo_png = reencode_logo(out.getvalue())
    second = seed.client("installed", project=name)
    r = client.get(_url(second))
    assert r.status_code == 200 and r.headers["etag"] != etag


@pytest.mark.parametrize("state", ["no-logo", "disabled", "deleted"])
def test_no_logo_for_a_project_without_one_or_a_disabled_or_deleted_client(
    seed: Seeder, client: TestClient, state: str
) -> None:  # CONSENT-1
    app = _with_logo(seed, None if state == "no-logo" else _png())
    with seed.db.unit_of_work() as s:
        row = s.get(Client, app.pk)
        assert row is not None
        if state == "disabled":
            row.disabled = True
        elif state == "deleted":
            row.disabled, row.deleted_at = True, now()
    r = client.get(_url(app))
    assert r.status_code == 404
    assert r.headers["content-type"].startswith("text/plain")
    assert r.headers["cache-control"] == "no-store"
    assert r.text == "No logo."


@pytest.mark.parametrize(
    "client_id",
    ["unknown.apps.consentry", "x" * 101, "..%2F..%2Fetc", "' OR 1=1 --", "%F0%9F%98%80"],
)
def test_unknown_or_malformed_client_ids_are_a_plain_404(
    seed: Seeder, client: TestClient, client_id: str
) -> None:  # CONSENT-1
    _with_logo(seed, _png())
    r = client.get(f"/apps/{client_id}/logo.png")
    assert r.status_code == 404
    assert "image/png" not in r.headers.get("content-type", "")


def test_a_nul_in_the_client_id_is_refused_before_the_database(seed: Seeder, client: TestClient) -> None:
    r = client.get("/apps/%00/logo.png")
    assert r.status_code == 400
    assert r.json()["error"] == "invalid_request"


# --- the help page -------------------------------------------------------------------------------------


def test_the_help_page_explains_how_to_see_revoke_and_delete(client: TestClient) -> None:  # CONSENT-7
    r = client.get("/help/data")  # public: readable before signing in
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("text/html")
    text = unescape(r.text)
    assert "<h1>See, remove and delete what apps hold</h1>" in text
    for heading in (
        "See which apps can reach your data",
        "Remove an app's access",
        "Ask an app to delete your data",
        "Check what you agreed to",
        "Report an app",
    ):
        assert heading in text
    assert 'href="/account"' in r.text
    assert 'href="/account/receipts"' in r.text
    assert "Consentry" in text  # the operator's name, from settings
    assert '<link rel="stylesheet" href="/static/consent.css">' in r.text
    assert client.get("/static/consent.css").status_code == 200
