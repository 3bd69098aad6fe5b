"""In a real Chromium: an embedded widget reads a data API through the widget proxy (AUTH5-1), and
a ClientLogin user unlocks their app on the unlock page (AUTH4-4). Screenshots of both pages at
1280 and 390 pixels go to ``$CONSENTRY_SCREENSHOTS`` (else the test's temporary directory)."""

from __future__ import annotations

import re
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import TYPE_CHECKING, Any

import httpx
import pytest

from consentry.domain.accounts.captcha import Captchas
from consentry.domain.secrets import Hasher
from tests.browser.console_helpers import screenshot_dir
from tests.browser.helpers import path_of, sign_in
from tests.browser.screenshots import at_both_widths
from tests.integration.legacy.clientlogin_steps import body, parsed
from tests.support.databases import SECRET

if TYPE_CHECKING:
    from playwright.sync_api import Page

pytestmark = [pytest.mark.browser, pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)]

ADA = "ada@example.org"

#: The widget: asks the proxy, opens the approval in a pop-up when told to, retries with the handle
#: its redirect page stored (same origin: localStorage and its storage event).
WIDGET = """<!doctype html><title>Calendar widget</title>
<h1>My next events</h1><button id="connect" hidden>Connect your calendar</button><pre id="result"></pre>
<script>
const proxy = "%(issuer)s/gadgets/proxy?" + new URLSearchParams({gadget: "%(gadget)s",
  url: "/data/v1/calendar/events", scope: "calendar.readonly"});
async function load() {
  const handle = localStorage.getItem("gadget_handle") || "";
  const r = await fetch(proxy, {headers: handle ? {"X-Consentry-Gadget-Handle": handle} : {}});
  const body = await r.json();
  if (body.status === "approval_required") {
    const b = document.getElementById("connect");
    b.hidden = false;
    b.onclick = () => {
      // A fresh state per approval: the redirect page keeps a handle only if it comes back.
      const state = crypto.randomUUID();
      localStorage.setItem("gadget_state", state);
      window.open(body.oauthApprovalUrl + "&state=" + state, "approve", "width=520,height=760");
    };
    return;
  }
  document.getElementById("result").textContent = "events: " + body.events.length;
}
window.addEventListener("storage", (e) => { if (e.key === "gadget_handle") load(); });
load();
</script>"""
DONE = """<!doctype html><title>Connected</title><p>Connected. You can close this window.</p>
<script>
const got = new URLSearchParams(location.hash.slice(1));
if (got.get("gadget_handle") && got.get("state") === localStorage.getItem("gadget_state")) {
  localStorage.removeItem("gadget_state");
  localStorage.setItem("gadget_handle", got.get("gadget_handle"));
}
window.close();
</script>"""


class WidgetSite:
    """The widget's own origin (another port): its page and its registered redirect page."""

    def __init__(self) -> None:
        pages: dict[str, bytes] = {}

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                page = pages.get(self.path.split("?")[0])
                self.send_response(200 if page else 404)
                self.send_header("Content-Type", "text/html; charset=utf-8")
                self.end_headers()
                self.wfile.write(page or b"not found")

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self.pages = pages
        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.origin = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def widget_site() -> Iterator[WidgetSite]:
    site = WidgetSite()
    yield site
    site.close()


def shoot(page: Page, directory: Path, name: str) -> None:
    page.wait_for_load_state("load")
    at_both_widths(page, directory, f"{name}")


def test_widget_approves_in_a_pop_up_and_its_retry_reads_the_calendar(
    live_server, widget_site, page, tmp_path
) -> None:
    # AUTH5-1: no token -> approval URL; approval in a pop-up; the retry succeeds
    server, seeder = live_server
    shots = screenshot_dir(tmp_path)
    seeder.user(ADA)
    widget = seeder.client(redirect_uris=[widget_site.origin + "/oauth-done.html"], project="Calendar widget")
    widget_site.pages["/widget.html"] = (WIDGET % {"issuer": server.url, "gadget": widget.client_id}).encode()
    widget_site.pages["/oauth-done.html"] = DONE.encode()
    page.goto(widget_site.origin + "/widget.html")
    connect = page.get_by_role("button", name="Connect your calendar")
    connect.wait_for()
    with page.context.expect_page() as opened:
        connect.click()
    popup = opened.value
    popup.wait_for_load_state()
    assert path_of(popup.url) == "/signin"
    sign_in(popup, ADA)
    assert path_of(popup.url) == "/gadgets/approve"
    assert popup.locator(".app-name").first.inner_text() == "Calendar widget (web)"  # the client name
    shoot(popup, shots, "gadget-approval")
    popup.locator('input[type="checkbox"][name="scope"]').first.check()
    popup.get_by_role("button", name="Allow").click()
    page.locator("#result").filter(has_text=re.compile(r"events: \d+")).wait_for()
    assert page.locator("#result").inner_text().startswith("events: ")
    # The handle stayed on the widget's origin; no token ever reached the page.
    assert "gadget_handle" not in page.url and page.evaluate("localStorage.getItem('gadget_handle')")


def test_unlock_page_lets_a_locked_app_sign_in_again(live_server, page, tmp_path) -> None:
    # AUTH4-4: CaptchaRequired, the owner types the picture's characters, the app's retry succeeds
    server, seeder = live_server
    shots = screenshot_dir(tmp_path)
    seeder.user(ADA)
    page.goto(server.url + "/accounts/DisplayUnlockCaptcha")
    sign_in(page, ADA)
    assert path_of(page.url) == "/accounts/DisplayUnlockCaptcha"
    headers = {"content-type": "application/x-www-form-urlencoded"}
    with httpx.Client(base_url=server.url, headers=headers, timeout=10) as app:
        for _ in range(10):  # CONSENTRY_LOGIN_MAX_FAILURES
            app.post("/accounts/ClientLogin", content=body(ADA, "wrong-password"))
        assert parsed(app.post("/accounts/ClientLogin", content=body(ADA)))["Error"] == "CaptchaRequired"
        page.reload()
        shoot(page, shots, "clientlogin-unlock")
        challenge = page.locator('input[name="captcha_id"]').get_attribute("value")
        assert challenge
        # The picture's characters are a keyed function of the challenge id: the test holds the key.
        page.get_by_label("Characters in the picture").fill(Captchas(Hasher(SECRET), 600)._text_of(challenge))
        page.get_by_role("button", name="Continue").click()
        page.locator("#unlocked").wait_for()
        shoot(page, shots, "clientlogin-unlocked")
        retry = app.post("/accounts/ClientLogin", content=body(ADA))
    assert retry.status_code == 200 and parsed(retry)["Auth"]
