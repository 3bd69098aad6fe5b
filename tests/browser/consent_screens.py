"""A small app serving the consent templates with the platform's real parts, for browser tests.

The pages render through ``consentry.web.render.render`` with a ``Disclosure`` built by
``disclosure_for`` over seeded rows; around them run the platform's security headers (the CSP
allows only our own scripts and styles), its static files, the logo route and the help page.
Forms post to ``/t/echo``, which answers with what the browser sent.
"""

from __future__ import annotations

import io
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import uvicorn
from fastapi import FastAPI, Query, Request
from fastapi.staticfiles import StaticFiles
from PIL import Image, ImageDraw
from starlette.responses import JSONResponse, Response

from consentry.app import STATIC, build_runtime
from consentry.domain.consent.disclosure import Disclosure, disclosure_for
from consentry.domain.projects.logo import reencode_logo
from consentry.domain.projects.service import brand_of
from consentry.settings import Settings
from consentry.storage.tables import Client, VerificationRequest
from consentry.web.pages import app_logo
from consentry.web.pages import help as help_pages
from consentry.web.render import render
from consentry.web.security import SecurityHeaders
from tests.browser.screenshots import at_both_widths
from tests.support.databases import SECRET
from tests.support.live import free_port
from tests.support.seed import Seeder

if TYPE_CHECKING:
    from playwright.sync_api import Page

Scopes = Annotated[list[str] | None, Query()]
CSRF = "csrf-token-for-the-test"
FLOW = "flow-handle-123"
OPERATOR = "Example Cloud"
DOMAIN = "mailsorter.example.com"
BRAND: dict[str, Any] = {
    "app_name": "Mail Sorter",
    "support_email": f"help@{DOMAIN}",
    "home_page": f"https://{DOMAIN}/",
    "privacy_policy": f"https://{DOMAIN}/privacy",
    "terms": f"https://{DOMAIN}/terms",
    "authorized_domains": [DOMAIN],
    "developer_contacts": [f"dev@{DOMAIN}"],
}


def logo_png() -> bytes:
    image = Image.new("RGB", (200, 200), "white")
    draw = ImageDraw.Draw(image)
    draw.ellipse((16, 16, 184, 184), fill=(26, 86, 219))
    draw.rectangle((62, 80, 138, 126), fill="white")
    out = io.BytesIO()
    image.save(out, format="PNG")
    return reencode_logo(out.getvalue())


@dataclass
class Site:
    url: str
    seeder: Seeder
    scopes: dict[str, str]
    clients: dict[str, int]

    def scope(self, name: str) -> str:
        return self.scopes[name]


def seed_apps(seeder: Seeder, issuer: str) -> dict[str, int]:
    """Three apps: reviewed with a logo, unreviewed without one, and one in testing."""
    mail, cal = f"{issuer}/auth/mail.readonly", f"{issuer}/auth/calendar.readonly"
    verified = seeder.client("web", name="Sorter web")
    plain = seeder.client("web", name="Calendar Buddy")
    testing = seeder.client("web", name="Trip Planner", status="testing")
    with seeder.db.unit_of_work() as s:
        project = s.get(Client, verified.pk).project  # type: ignore[union-attr]
        for key, value in BRAND.items():
            setattr(project, key, value)
        project.logo_png = logo_png()
        project.approved_scopes = [mail, cal]
        s.add(
            VerificationRequest(
                project_id=project.id,
                state="approved",
                scopes=[mail, cal],
                approved_scopes=[mail, cal],
                brand=brand_of(project),
                justifications={
                    mail: {"usage": "Sorts new mail into folders you choose; messages are never stored."},
                    cal: {"usage": "Shows your next meeting next to related mail."},
                },
                transfers="Only to our hosting provider, to run the service.",
                human_access="Nobody, unless you ask support to look at a problem.",
            )
        )
        for pk in (plain.pk, testing.pk):
            other = s.get(Client, pk).project  # type: ignore[union-attr]
            other.approved_scopes = []  # never reviewed, whatever the seeder's default
        s.get(Client, testing.pk).project.developer_contacts = ["maker@trips.example.net"]  # type: ignore[union-attr]
    return {"verified": verified.pk, "plain": plain.pk, "testing": testing.pk}


def screens_app(settings: Settings, seeder: Seeder, clients: dict[str, int]) -> FastAPI:
    """The templates served with the platform's headers, static files, logo route and help page."""
    app = FastAPI()
    app.state.settings = settings
    app.state.runtime = build_runtime(settings)
    app.include_router(app_logo.router)
    app.include_router(help_pages.router)
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    app.add_middleware(SecurityHeaders, https=False)
    catalogue = app.state.runtime.ctx.catalogue

    def disclosure(case: str, asked: list[str]) -> Disclosure:
        with seeder.db.unit_of_work() as s:
            return disclosure_for(
                s,
                client_pk=clients[case],
                account_email="ann@example.org",
                account_name="Ann Example",
                sign_in=["openid", "email", "profile"],
                asked=asked,
                catalogue=catalogue,
                operator=OPERATOR,
            )

    @app.get("/t/digest/{case}")  # before the pages' route, which would match it too
    def digest(case: str, scope: Scopes = None) -> JSONResponse:
        return JSONResponse({"digest": disclosure(case, scope or []).digest})

    @app.get("/t/{template}/{case}")
    def page(template: str, case: str, scope: Scopes = None, device: str = "") -> Response:
        d = disclosure(case, scope or [])
        common: dict[str, Any] = {
            "disclosure": d,
            "csrf": CSRF,
            "flow": "" if device else FLOW,
            "device_code": device,
        }
        action = "/t/echo"
        if template == "consent":
            return render("consent.html", form_action=action, switch_url="/t/switch", **common)
        if template == "unverified":
            return render("unverified.html", form_action=action, operator=OPERATOR, **common)
        return render("testing_warning.html", form_action=action, operator=OPERATOR, **common)

    @app.get("/favicon.ico")  # asked for by Chromium on the echo's JSON page
    def favicon() -> Response:
        return Response(status_code=204)

    @app.post("/t/echo")
    async def echo(request: Request) -> JSONResponse:
        form = await request.form()
        return JSONResponse({k: form.getlist(k) for k in form})

    return app


@contextmanager
def serve(database_url: str) -> Iterator[Site]:
    """The screens' app on a free port, in a thread of this process, over a seeded database."""
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    settings = Settings(
        database_url=database_url,
        issuer=url,
        secret_key=SECRET,
        environment="test",
        janitor_interval=0,
        mail_interval=0,
        operator_name=OPERATOR,
    )
    seeder = Seeder(settings)
    clients = seed_apps(seeder, url)
    app = screens_app(settings, seeder, clients)
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        assert time.monotonic() < deadline, "the test server did not start"
        time.sleep(0.02)
    names = ("mail.readonly", "calendar.readonly", "files.file", "mail.send")
    try:
        yield Site(url, seeder, {n: f"{url}/auth/{n}" for n in names}, clients)
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        app.state.runtime.ctx.db.dispose()
        seeder.close()


class Watch:
    """Console errors (CSP violations among them), script errors and failed loads on a page."""

    def __init__(self, page: Page) -> None:
        self.errors: list[str] = []
        page.on("console", lambda m: self.errors.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: self.errors.append(str(e)))
        page.on("response", lambda r: self.errors.append(f"{r.status} {r.url}") if r.status >= 400 else None)


def shoot(page: Page, directory: Path, name: str) -> None:
    """Full-page PNGs at both widths, styled, and never wider than the phone's screen."""
    page.wait_for_load_state("load")
    assert page.evaluate("getComputedStyle(document.body).backgroundColor") == "rgb(246, 248, 250)"
    at_both_widths(page, directory, f"consent-{name}")


def scopes_query(site: Site, *names: str, device: str = "") -> str:
    parts = [f"scope={site.scope(n)}" for n in names]
    if device:
        parts.append(f"device={device}")
    return "?" + "&".join(parts)


def sent_form(page: Page) -> dict[str, list[str]]:
    page.wait_for_url("**/t/echo")
    return dict(page.evaluate("JSON.parse(document.body.innerText)"))


def checkboxes(page: Page) -> dict[str, bool]:
    boxes = page.locator('form input[type="checkbox"][name="scope"]')
    return {
        boxes.nth(i).get_attribute("value") or "": boxes.nth(i).is_checked() for i in range(boxes.count())
    }
