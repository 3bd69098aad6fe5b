"""Playwright helpers for the developer console, shared by the console tests and the full path test.

Each helper does what a developer would do on the page (fill, click, wait for the next page) and
asserts only that the step happened; the tests assert what the pages then say.
"""

from __future__ import annotations

import io
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import quote

from tests.browser.helpers import PASSWORD, path_of, sign_in
from tests.browser.screenshots import shoot_console

if TYPE_CHECKING:
    from playwright.sync_api import Page, Response

#: The console's sections, by the slug in their address ("" is the overview).
TABS = (
    "",
    "consent-screen",
    "scopes",
    "domains",
    "verification",
    "clients",
    "test-users",
    "members",
    "publishing",
)


def project_url(base: str, project: str, tab: str = "") -> str:
    url = f"{base}/console/projects/{quote(project, safe='')}"
    return f"{url}/{tab}" if tab else url


def screenshot_dir(fallback: Path) -> Path:
    """``$CONSENTRY_SCREENSHOTS`` when set (CI keeps it as an artifact), else the test's tmp dir."""
    chosen = os.environ.get("CONSENTRY_SCREENSHOTS")
    path = Path(chosen) if chosen else fallback
    path.mkdir(parents=True, exist_ok=True)
    return path


def logo_png(path: Path, size: int = 256, colour: tuple[int, int, int] = (26, 86, 219)) -> Path:
    """A square PNG logo made with Pillow: a coloured disc on white with a lighter ring."""
    from PIL import Image, ImageDraw

    image = Image.new("RGB", (size, size), "white")
    draw = ImageDraw.Draw(image)
    draw.ellipse((size * 0.08, size * 0.08, size * 0.92, size * 0.92), fill=colour)
    draw.ellipse((size * 0.3, size * 0.3, size * 0.7, size * 0.7), fill="white")
    draw.ellipse((size * 0.4, size * 0.4, size * 0.6, size * 0.6), fill=colour)
    out = io.BytesIO()
    image.save(out, format="PNG")
    path.write_bytes(out.getvalue())
    return path


@dataclass
class PageErrors:
    """Console errors (CSP violations among them), script errors and failed loads on a page.

    A form refused on purpose answers 4xx with the form again, and Chromium logs that answer as a
    failed load; each such refused POST excuses one matching log line, nothing else.
    """

    seen: list[str] = field(default_factory=list)
    refused_posts: list[int] = field(default_factory=list)

    def watch(self, page: Page) -> PageErrors:
        page.on("console", lambda m: self.seen.append(f"console: {m.text}") if m.type == "error" else None)
        page.on("pageerror", lambda e: self.seen.append(f"pageerror: {e}"))
        page.on("response", self._response)
        return self

    def _response(self, response: Response) -> None:
        if response.status < 400:
            return
        if response.request.method == "POST":
            self.refused_posts.append(response.status)
        else:
            self.seen.append(f"{response.status} {response.url}")

    def unexpected(self) -> list[str]:
        left = list(self.seen)
        for status in self.refused_posts:
            line = f"console: Failed to load resource: the server responded with a status of {status}"
            match = next((e for e in left if e.startswith(line)), None)
            if match is not None:
                left.remove(match)
        return left


def shoot(page: Page, directory: Path, name: str) -> list[Path]:
    """Full-page screenshots at desktop width (1280) and phone width (390); returns both paths.

    Also checks the console stylesheet applied (CSP allows only 'self' styles) and that nothing
    is wider than the phone's screen (tables must scroll or stack, not push the page sideways).
    """
    return shoot_console(page, directory, f"console-{name}", "1100px")


# --- steps ---------------------------------------------------------------------------------------
def sign_in_to_console(page: Page, base: str, email: str, password: str = PASSWORD) -> None:
    """Open the console signed out: it sends the browser to sign in, then back to the console."""
    page.goto(base + "/console")
    sign_in(page, email, password)
    assert path_of(page.url) == "/console", page.url


def open_tab(page: Page, base: str, project: str, tab: str = "") -> None:
    page.goto(project_url(base, project, tab))
    assert page.locator("nav.tabs a[aria-current=page]").count() == 1


def create_project(
    page: Page, base: str, name: str, *, user_type: str = "external", status: str = "testing"
) -> None:
    page.goto(base + "/console")
    form = page.locator("#new-project form")
    form.get_by_label("Project name", exact=True).fill(name)
    form.locator("select[name=user_type]").select_option(user_type)
    form.locator("select[name=status]").select_option(status)
    with page.expect_navigation():
        form.get_by_role("button", name="Create project").click()
    assert page.url.startswith(project_url(base, name)), page.url


@dataclass(frozen=True)
class Brand:
    app_name: str
    support_email: str
    home_page: str
    privacy_policy: str
    domains: tuple[str, ...]
    contacts: tuple[str, ...]
    terms: str = ""
    logo: Path | None = None


def fill_consent_screen(page: Page, base: str, project: str, brand: Brand) -> None:
    open_tab(page, base, project, "consent-screen")
    form = page.locator("#brand-form")
    form.get_by_label("App name", exact=True).fill(brand.app_name)
    if brand.logo is not None:
        form.locator("input[name=logo]").set_input_files(str(brand.logo))
    form.get_by_label("User support email", exact=True).fill(brand.support_email)
    form.get_by_label("Home page", exact=True).fill(brand.home_page)
    form.get_by_label("Privacy policy", exact=True).fill(brand.privacy_policy)
    form.get_by_label("Terms of service").fill(brand.terms)
    form.get_by_label("Authorized domains", exact=True).fill("\n".join(brand.domains))
    form.get_by_label("Developer contact emails", exact=True).fill("\n".join(brand.contacts))
    with page.expect_navigation():
        form.get_by_role("button", name="Save consent screen").click()
    assert page.locator(".alert.ok").count() == 1, page.locator("main").inner_text()


def add_scope(page: Page, base: str, project: str, scope_name: str) -> None:
    open_tab(page, base, project, "scopes")
    form = page.locator("#add-scope form")
    uri = scope_name if scope_name in ("openid", "email", "profile") else f"{base}/auth/{scope_name}"
    form.locator("select[name=add]").select_option(value=uri)
    with page.expect_navigation():
        form.get_by_role("button", name="Add scope").click()
    assert page.locator(f"tr[data-scope='{scope_name}']").count() == 1


def missing_codes(page: Page, base: str, project: str) -> list[str]:
    """The overview's list of what is still missing, as reason codes."""
    open_tab(page, base, project)
    return page.locator("#missing li").evaluate_all("items => items.map(i => i.dataset.code)")


def headline(page: Page) -> str:
    return page.locator("#headline").inner_text()


def next_action(page: Page) -> str:
    return page.locator("#next-action").inner_text().strip()


def txt_record(page: Page, base: str, project: str, domain: str) -> str:
    """The TXT record the Domains page asks to publish for ``domain``."""
    open_tab(page, base, project, "domains")
    return page.locator(f"pre[id='txt-{domain}']").inner_text().strip()


def check_domain(page: Page, base: str, project: str, domain: str) -> str:
    """Press "Check now" for ``domain``; returns the message shown with the outcome."""
    open_tab(page, base, project, "domains")
    section = page.locator(f"section[data-domain='{domain}']")
    with page.expect_navigation():
        section.get_by_role("button", name="Check now").click()
    return page.locator(f"section[data-domain='{domain}'] .check-result").inner_text()


def create_client(
    page: Page,
    base: str,
    project: str,
    client_type: str = "web",
    *,
    name: str = "",
    redirect_uris: tuple[str, ...] = (),
) -> tuple[str, str | None]:
    """Create a client; returns (client_id, the secret shown once or None)."""
    open_tab(page, base, project, "clients")
    form = page.locator("#new-client form")
    form.get_by_label("Name", exact=True).fill(name)
    form.locator("select[name=client_type]").select_option(client_type)
    form.get_by_label("Redirect URIs", exact=True).fill("\n".join(redirect_uris))
    with page.expect_navigation():
        form.get_by_role("button", name="Create client").click()
    client_id = page.locator("#client-id").inner_text().strip()
    secret = page.locator("#client-secret-value")
    return client_id, secret.inner_text().strip() if secret.count() else None


def fill_submission(
    page: Page,
    base: str,
    project: str,
    *,
    video_url: str,
    doc_links: tuple[str, ...] = (),
    transfers: str = "Only to provide the feature the user asked for, and when the law requires it.",
    human_access: str = "Nobody, except with the user's explicit consent or for security investigations.",
    server_access: bool = True,
    attest: bool = True,
) -> None:
    """Fill the verification form: every scope's answers, the video, declarations, attestation."""
    open_tab(page, base, project, "verification")
    form = page.locator("#submission-form")
    for box in form.locator("fieldset.scope-answer").all():
        name = box.get_attribute("data-scope")
        box.get_by_label("How does the app use it?", exact=True).fill(
            f"The app sorts the user's mail with {name}."
        )
        box.get_by_label("Why are narrower scopes not enough?", exact=True).fill(
            f"Sorting reads every message: {name}."
        )
    form.get_by_label("Feature documentation links").fill("\n".join(doc_links))
    form.get_by_label("Demonstration video link", exact=True).fill(video_url)
    form.locator("input[name=server_access]").set_checked(server_access)
    form.get_by_label("To whom is user data transferred, and why?", exact=True).fill(transfers)
    form.get_by_label("Who can read user data, and when?", exact=True).fill(human_access)
    form.locator("input[name=attested]").set_checked(attest)


def save_draft(page: Page) -> None:
    with page.expect_navigation():
        page.locator("#submission-form").get_by_role("button", name="Save draft").click()


def submit_for_verification(page: Page) -> None:
    with page.expect_navigation():
        page.locator("#submission-form").get_by_role("button", name="Submit for verification").click()


def answer_reviewers(page: Page, base: str, project: str, message: str) -> None:
    open_tab(page, base, project)
    form = page.locator("#answer-form")
    form.get_by_label("Your answer to the reviewers", exact=True).fill(message)
    with page.expect_navigation():
        form.get_by_role("button", name="Send answer").click()
