"""The file picker: the user grants files one by one to an app holding files.file (SCOPE-2)."""

from __future__ import annotations

import re
from urllib.parse import urlencode

from tests.integration.data.conftest import USER
from tests.support.browserless import CSRF_RE, query_of
from tests.support.flows import PASSWORD
from tests.support.matching import matched


def _open(browser, app_client, **extra: str):
    params = {
        "client_id": app_client.client_id,
        "redirect_uri": app_client.redirect_uris[0],
        "state": "s1",
        **extra,
    }
    return browser.follow(browser.get(f"{browser.base}/picker?{urlencode(params)}"))


def test_picked_files_become_visible_to_the_app(api_for, browser, app_client) -> None:
    api = api_for("files.file")  # signs the user in on this browser too
    assert api("GET", "/data/v1/files").json()["files"] == []
    page = _open(browser, app_client)
    assert page.status_code == 200 and USER in page.text
    ids = dict(re.findall(r'name="file" value="([^"]+)"> ([^<]+?) <small>', page.text))
    assert sorted(ids.values()) == ["Budget 2027.csv", "Holiday photos.json", "Quarterly report.txt"]
    assert "checked" not in page.text  # nothing pre-ticked (CONSENT-6)
    budget = next(k for k, v in ids.items() if v == "Budget 2027.csv")
    data = {
        "csrf": matched(CSRF_RE, page.text),
        "client_id": app_client.client_id,
        "redirect_uri": app_client.redirect_uris[0],
        "state": "s1",
        "file": budget,
        "action": "share",
    }
    done = browser.http.post(browser.base + "/picker", data=data, follow_redirects=False)
    assert done.status_code == 303
    assert done.headers["location"].startswith(app_client.redirect_uris[0])
    assert query_of(done.headers["location"]) == {"picked": budget, "state": "s1"}
    assert [f["name"] for f in api("GET", "/data/v1/files").json()["files"]] == ["Budget 2027.csv"]
    # Cancel returns access_denied and picks nothing more.
    cancel = browser.http.post(
        browser.base + "/picker", data={**data, "action": "cancel"}, follow_redirects=False
    )
    assert query_of(cancel.headers["location"]) == {"error": "access_denied", "state": "s1"}
    # Without the CSRF token nothing happens.
    forged = browser.http.post(browser.base + "/picker", data={**data, "csrf": "x"}, follow_redirects=False)
    assert forged.status_code == 403


def test_picker_never_redirects_to_an_unregistered_uri(browser, app_client) -> None:
    page = _open(browser, app_client, redirect_uri="https://evil.example/steal")
    assert page.status_code == 400 and "did not register" in page.text
    unknown = browser.get(f"{browser.base}/picker?client_id=nope&redirect_uri=https://evil.example/")
    assert unknown.status_code == 400


def test_picker_asks_to_sign_in_first(browser, app_client) -> None:
    params = {"client_id": app_client.client_id, "redirect_uri": app_client.redirect_uris[0]}
    r = browser.get(f"{browser.base}/picker?{urlencode(params)}")
    assert r.status_code == 303 and r.headers["location"].startswith("/signin?next=%2Fpicker%3F")
    page = browser.follow(r)
    signed = browser.sign_in(page, USER, PASSWORD)
    assert signed.status_code == 200 and "Choose files for" in signed.text
