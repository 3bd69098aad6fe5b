"""The developer console's pages over HTTP, on SQLite and PostgreSQL.

Every refusal is checked twice: the page says what is wrong (with the input kept), and the
database afterwards holds exactly what it held before.
"""

from __future__ import annotations

import io
import json
import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from html import unescape
from typing import Any, cast

import httpx
import pytest
from PIL import Image
from sqlalchemy import func, select
from starlette.testclient import TestClient

from consentry.domain.actor import Actor
from consentry.domain.audit.tags import Channel
from consentry.domain.projects.service import Projects
from consentry.domain.scopes.catalogue import Catalogue
from consentry.domain.verification.domain_ownership import DnsChecker, ProofResult
from consentry.domain.verification.fetcher import FetchResult, SafeFetcher
from consentry.domain.verification.review import Review
from consentry.domain.verification.service import Verification
from consentry.storage.repositories.console import SqlConsole
from consentry.storage.tables import Client, DomainProof, Project, VerificationRequest
from consentry.web.console.checkers import Checkers, console_checkers, parse_nameservers
from tests.conftest import ISSUER
from tests.support.browserless import CSRF_RE, Browser
from tests.support.dns_server import DnsServer
from tests.support.matching import matched
from tests.support.seed import Seeder

PASSWORD = "correct-horse-battery"
PROJECT = "Mail Sorter"
P = "/console/projects/Mail%20Sorter"
DOMAIN = "mailsorter.example.com"
MAIL_READONLY = f"{ISSUER}/auth/mail.readonly"
BRAND = {
    "app_name": "Mail Sorter",
    "support_email": "help@mailsorter.example.com",
    "home_page": f"https://{DOMAIN}/",
    "privacy_policy": f"https://{DOMAIN}/privacy",
    "terms": "",
    "authorized_domains": DOMAIN,
    "developer_contacts": "dev@example.org",
}
ERROR_RE = re.compile(r'<div class="alert error" role="alert" data-code="([^"]+)"><p>(.*?)</p>', re.S)


# --- helpers -------------------------------------------------------------------------------------
@dataclass
class Dev:
    """A signed-in browser: its own cookies, the page's CSRF token."""

    http: TestClient
    csrf: str

    def get(self, path: str) -> httpx.Response:
        return self.http.get(path, follow_redirects=False)

    def post(
        self, path: str, data: dict[str, Any] | None = None, *, csrf: bool = True, **kw: Any
    ) -> httpx.Response:
        form = {**(data or {}), **({"csrf": self.csrf} if csrf else {})}
        return self.http.post(path, data=form, follow_redirects=False, **kw)


def sign_in(http: TestClient, email: str) -> Dev:
    browser = Browser(http, ISSUER)
    page = browser.follow(browser.get("/console"))
    assert 'action="/signin"' in page.text
    landing = browser.sign_in(page, email, PASSWORD)
    assert landing.status_code == 200 and landing.url.path == "/console", landing.url
    match = CSRF_RE.search(landing.text)
    assert match
    return Dev(http, match.group(1))


@contextmanager
def browser_of(app: Any, email: str) -> Iterator[Dev]:
    with TestClient(app, base_url=ISSUER) as http:
        yield sign_in(http, email)


def error_of(response: httpx.Response) -> tuple[str, str]:
    """The (code, message) of the error shown beside the form."""
    match = ERROR_RE.search(response.text)
    assert match, response.text[:3000]
    return match.group(1), unescape(match.group(2))


def project_row(seed: Seeder, name: str = PROJECT) -> dict[str, Any]:
    """The project as stored, fresh from the database."""
    with seed.db.unit_of_work() as s:
        p = s.scalar(select(Project).where(Project.name == name))
        assert p is not None
        return {
            c: getattr(p, c)
            for c in (
                "id",
                "app_name",
                "logo_png",
                "support_email",
                "home_page",
                "privacy_policy",
                "terms",
                "authorized_domains",
                "developer_contacts",
                "declared_scopes",
                "test_users",
                "status",
                "user_type",
            )
        }


def requests_of(seed: Seeder, project_id: int) -> list[VerificationRequest]:
    with seed.db.unit_of_work() as s:
        rows = list(
            s.scalars(select(VerificationRequest).where(VerificationRequest.project_id == project_id))
        )
        s.expunge_all()
        return rows


def png(size: int = 200, **info: str) -> bytes:
    image = Image.new("RGB", (size, size), (26, 86, 219))
    out = io.BytesIO()
    from PIL import PngImagePlugin

    meta = PngImagePlugin.PngInfo()
    for key, value in info.items():
        meta.add_text(key, value)
    image.save(out, format="PNG", pnginfo=meta)
    return out.getvalue()


def service(seed: Seeder, email: str, role: str = "user") -> Iterator[Verification]:
    """The verification service acting as ``email`` in one committed unit of work."""
    with seed.db.unit_of_work() as s:
        repo = SqlConsole(s)
        user = repo.user(email)
        assert user is not None
        yield Verification(Projects(repo, Actor(email, user.id, role, Channel.WEB), Catalogue(ISSUER)))


as_service = contextmanager(service)


@pytest.fixture
def dev(seed: Seeder, browser: Browser) -> Dev:
    """dev@example.org signed in, owning the project "Mail Sorter" (created through the page)."""
    seed.user("dev@example.org")
    me = sign_in(browser.http, "dev@example.org")  # type: ignore[arg-type]
    r = me.post("/console/projects", {"name": PROJECT, "user_type": "external", "status": "testing"})
    assert r.status_code == 303 and r.headers["location"] == f"{P}?done=created"
    return me


def ready_brand(dev: Dev) -> None:
    """A restricted scope and a complete consent screen (the domain not yet proven)."""
    assert dev.post(f"{P}/scopes", {"add": "mail.readonly"}).status_code == 303
    r = dev.post(f"{P}/consent-screen", BRAND, files={"logo": ("logo.png", png(), "image/png")})
    assert r.status_code == 303, error_of(r)


def verify_domain(seed: Seeder, dev: Dev) -> None:
    """Publish the record on a local DNS server and press "Check now" (VERIFY-3)."""
    assert dev.get(f"{P}/domains").status_code == 200  # the challenge is made on first sight
    with seed.db.unit_of_work() as s:
        challenge = s.scalar(select(DomainProof.challenge))
    with DnsServer({DOMAIN: [f"consentry-site-verification={challenge}"]}) as dns:
        dev.http.app.dependency_overrides[console_checkers] = lambda: Checkers(  # type: ignore[attr-defined]
            DnsChecker(["127.0.0.1"], port=dns.port, lifetime=2), SafeFetcher()
        )
        r = dev.post(f"{P}/domains/check", {"domain": DOMAIN})
    assert r.status_code == 200 and "is verified by its DNS TXT record" in r.text


# --- the shape of every view ----------------------------------------------------------------------
def _calls(dependant: Any) -> list[str]:
    """Qualified names of every dependency a route resolves, nested ones included."""
    out = []
    for sub in dependant.dependencies:
        out.append(getattr(sub.call, "__qualname__", ""))
        out.extend(_calls(sub))
    return out


def test_every_console_route_names_its_permission_and_every_post_checks_csrf() -> None:
    from fastapi.routing import APIRoute

    from consentry.web.console.pages import SECTIONS

    routes = [r for section in SECTIONS for r in section.router.routes if isinstance(r, APIRoute)]
    assert len(routes) >= 20
    for route in routes:
        calls = _calls(route.dependant)
        assert route.methods is not None  # an APIRoute always has its methods
        if route.path.startswith("/console/projects/{project}"):
            assert "require.<locals>.check" in calls, route.path  # require(Permission.X)
        else:
            assert "_console" in calls, route.path  # signed in, at least
        if "POST" in route.methods:
            assert "_csrf" in calls, route.path


# --- every page ----------------------------------------------------------------------------------
PAGES = (
    "",
    "/consent-screen",
    "/scopes",
    "/domains",
    "/verification",
    "/clients",
    "/test-users",
    "/members",
    "/publishing",
)


def test_every_page_renders_for_an_owner(seed: Seeder, dev: Dev) -> None:  # VERIFY-1, VERIFY-2
    ready_brand(dev)
    r = dev.post(
        f"{P}/clients", {"name": "web", "client_type": "web", "redirect_uris": f"https://{DOMAIN}/cb"}
    )
    client_id = matched(r'id="client-id">([^<]+)<', r.text)
    pages = [
        "/console",
        *(P + tab for tab in PAGES),
        f"{P}/clients/{client_id}/rotate",
        f"{P}/clients/{client_id}/delete",
    ]
    for path in pages:
        r = dev.get(path)
        assert r.status_code == 200, (path, r.text[:500])
        assert 'href="/static/console.css"' in r.text
        # Every form carries the CSRF field.
        forms = r.text.count("<form ")
        assert r.text.count(f'name="csrf" value="{dev.csrf}"') == forms, path
        assert forms >= 1 or path == P, path  # the overview has a form only when reviewers ask
    overview = dev.get(P).text
    assert "Verification needed for 1 scope(s)" in overview
    assert 'data-code="domain_unverified:mailsorter.example.com"' in overview
    assert f'href="{P}/domains">Domains' in overview  # each missing item links to its section
    logo = dev.get(f"{P}/logo.png")
    assert logo.status_code == 200 and logo.headers["content-type"] == "image/png"


def test_signed_out_goes_to_sign_in_and_back(seed: Seeder, dev: Dev, app: Any) -> None:
    with TestClient(app, base_url=ISSUER) as anonymous:
        r = anonymous.get(f"{P}/scopes", follow_redirects=False)
        assert (
            r.status_code == 303
            and r.headers["location"] == "/signin?next=%2Fconsole%2Fprojects%2FMail+Sorter%2Fscopes"
        )


def test_the_index_lists_only_my_projects_and_creates_one(seed: Seeder, dev: Dev, app: Any) -> None:
    seed.user("other@example.org")
    with browser_of(app, "other@example.org") as other:
        assert other.post("/console/projects", {"name": "Other App"}).status_code == 303
        assert "Other App" in other.get("/console").text and PROJECT not in other.get("/console").text
    page = dev.get("/console").text
    assert PROJECT in page and "Other App" not in page
    # A taken name and an invalid one: the message beside the form, the input kept, nothing created.
    r = dev.post("/console/projects", {"name": "Other App"})
    assert r.status_code == 409 and error_of(r) == ("exists", "Project 'Other App' already exists")
    assert 'value="Other App"' in r.text
    r = dev.post("/console/projects", {"name": "bad/name"})
    assert r.status_code == 400 and error_of(r)[0] == "invalid_name"
    with seed.db.unit_of_work() as s:
        assert s.scalar(select(func.count()).select_from(Project)) == 2


# --- who may do what -----------------------------------------------------------------------------
def test_a_viewer_sees_but_cannot_edit_and_a_stranger_gets_404(
    seed: Seeder, dev: Dev, app: Any
) -> None:  # VERIFY-1
    seed.user("viewer@example.org")
    seed.user("editor@example.org")
    seed.user("stranger@example.org")
    assert dev.post(f"{P}/members", {"email": "viewer@example.org", "role": "viewer"}).status_code == 303
    assert dev.post(f"{P}/members", {"email": "editor@example.org", "role": "editor"}).status_code == 303
    before = project_row(seed)
    with browser_of(app, "viewer@example.org") as viewer:
        for tab in PAGES:
            assert viewer.get(P + tab).status_code == 200, tab
        assert "You can view this project" in viewer.get(f"{P}/consent-screen").text
        assert 'id="add-scope"' not in viewer.get(f"{P}/scopes").text  # no edit forms shown
        writes = {
            "/consent-screen": {**BRAND, "app_name": "Hijacked"},
            "/scopes": {"add": "mail.readonly"},
            "/test-users": {"add": "x@example.org"},
            "/publishing": {"status": "production"},
            "/members": {"email": "viewer@example.org", "role": "owner"},
            "/clients": {"client_type": "service"},
            "/verification": {"action": "save"},
            "/answer": {"message": "hi"},
        }
        for tab, data in writes.items():
            assert viewer.post(P + tab, data).status_code == 403, tab
    with browser_of(app, "editor@example.org") as editor:
        assert editor.post(f"{P}/scopes", {"add": "openid"}).status_code == 303
        # Only owners change members.
        assert (
            editor.post(f"{P}/members", {"email": "editor@example.org", "role": "owner"}).status_code == 403
        )
    with browser_of(app, "stranger@example.org") as stranger:
        assert stranger.get(P).status_code == 404
        assert stranger.get(f"{P}/logo.png").status_code == 404
        assert stranger.post(f"{P}/consent-screen", {**BRAND, "app_name": "Hijacked"}).status_code == 404
    after = project_row(seed)
    assert after == {**before, "declared_scopes": ["openid"]}  # only the editor's change


def test_csrf_missing_or_wrong_is_refused_and_changes_nothing(seed: Seeder, dev: Dev) -> None:
    r = dev.post(f"{P}/clients", {"client_type": "service"})
    client_id = matched(r'id="client-id">([^<]+)<', r.text)
    before = project_row(seed)
    posts = {
        "/console/projects": {"name": "Sneaky"},
        f"{P}/consent-screen": {**BRAND, "app_name": "Sneaky"},
        f"{P}/scopes": {"add": "mail.readonly"},
        f"{P}/test-users": {"add": "x@example.org"},
        f"{P}/publishing": {"status": "production"},
        f"{P}/clients": {"client_type": "service"},
        f"{P}/clients/{client_id}/delete": {},
        f"{P}/clients/{client_id}/rotate": {},
    }
    for path, data in posts.items():
        assert dev.post(path, data, csrf=False).status_code == 403, path
        assert dev.post(path, {**data, "csrf": "0" * 64}, csrf=False).status_code == 403, path
    # With a file upload (multipart) too.
    r = dev.post(f"{P}/consent-screen", BRAND, csrf=False, files={"logo": ("l.png", png(), "image/png")})
    assert r.status_code == 403
    assert project_row(seed) == before
    with seed.db.unit_of_work() as s:
        assert s.scalar(select(func.count()).select_from(Project)) == 1
        assert s.scalar(select(func.count()).select_from(Client)) == 1
        assert s.scalar(select(Client.deleted_at)) is None
    # Control: the same post with the token works, so the 403s were the CSRF check.
    assert dev.post(f"{P}/scopes", {"add": "mail.readonly"}).status_code == 303


# --- the consent screen (VERIFY-2, VERIFY-3) -----------------------------------------------------
def test_consent_screen_saves_and_reencodes_the_logo(seed: Seeder, dev: Dev) -> None:
    upload = png(300, Comment="<script>alert(1)</script>")
    r = dev.post(f"{P}/consent-screen", BRAND, files={"logo": ("logo.png", upload, "image/png")})
    assert r.status_code == 303 and r.headers["location"] == f"{P}/consent-screen?done=brand"
    row = project_row(seed)
    assert row["home_page"] == f"https://{DOMAIN}/" and row["authorized_domains"] == [DOMAIN]
    assert row["developer_contacts"] == ["dev@example.org"]
    served = dev.get(f"{P}/logo.png").content
    assert served == row["logo_png"] and served != upload
    image = Image.open(io.BytesIO(served))
    assert image.format == "PNG" and image.size == (120, 120) and "Comment" not in image.info
    page = dev.get(f"{P}/consent-screen").text
    assert 'id="current-logo"' in page and "Consent screen" in page
    # Saving without choosing a file keeps the logo.
    assert dev.post(f"{P}/consent-screen", {**BRAND, "app_name": "Mail Sorter Pro"}).status_code == 303
    assert project_row(seed)["logo_png"] == served


@pytest.mark.parametrize(
    ("field", "value", "code", "words"),
    [
        ("home_page", "javascript:alert(1)", "unsupported_scheme", "javascript: links are not allowed"),
        ("home_page", "https://10.0.0.1/", "ip_address_host", "not an IP address"),
        ("privacy_policy", "https://127.0.0.1/privacy", "ip_address_host", "not an IP address"),
        ("home_page", "https://localhost/", "non_public_host", "localhost is not reachable"),
        ("home_page", "https://wiki.corp/app", "non_public_host", "not reachable on the public internet"),
        (
            "privacy_policy",
            "https://elsewhere.example.net/privacy",
            "privacy_policy_off_domain",
            "must be on an authorized domain",
        ),
        ("app_name", "Google Mail Sorter", "reserved_name", "imitates 'google'"),
        ("support_email", "not-an-address", "invalid_email", "is not an email address"),
    ],
)
def test_bad_consent_screen_values_are_refused_and_change_nothing(
    seed: Seeder, dev: Dev, field: str, value: str, code: str, words: str
) -> None:  # VERIFY-2, VERIFY-3, VERIFY-5
    before = project_row(seed)
    # The bad value travels with good ones and a good logo: none of them may be stored.
    r = dev.post(
        f"{P}/consent-screen", {**BRAND, field: value}, files={"logo": ("l.png", png(), "image/png")}
    )
    assert r.status_code == 400
    shown_code, message = error_of(r)
    assert shown_code == code and words in message, message
    assert f'name="{field}" value="{value}"' in r.text  # the input is kept
    assert project_row(seed) == before


@pytest.mark.parametrize(
    ("data", "words"),
    [
        (b"\x89PNG\r\n\x1a\n" + b"\0" * (1024 * 1024 + 10), "upload at most 1 MiB"),
        (
            b"<svg xmlns='http://www.w3.org/2000/svg'><script>alert(1)</script></svg>",
            "not a PNG, JPEG, GIF or WebP",
        ),
        (b"<html><body>hi</body></html>", "not a PNG, JPEG, GIF or WebP"),
        (png()[:300], "damaged"),
    ],
    ids=["oversized", "svg", "html", "damaged"],
)
def test_bad_logos_are_refused_and_change_nothing(
    seed: Seeder, dev: Dev, data: bytes, words: str
) -> None:  # VERIFY-2
    before = project_row(seed)
    r = dev.post(
        f"{P}/consent-screen",
        {**BRAND, "app_name": "Renamed"},
        files={"logo": ("logo.png", data, "image/png")},
    )
    assert r.status_code == 400
    code, message = error_of(r)
    assert code == "invalid_logo" and words in message, message
    assert 'value="Renamed"' in r.text  # the input is kept
    assert project_row(seed) == before and before["logo_png"] is None


def test_a_logo_over_the_upload_limit_gets_a_page_and_changes_nothing(seed: Seeder, dev: Dev) -> None:
    before = project_row(seed)
    r = dev.post(
        f"{P}/consent-screen", BRAND, files={"logo": ("big.png", b"\0" * (3 * 1024 * 1024), "image/png")}
    )
    assert r.status_code == 413
    assert project_row(seed) == before


# --- scopes, test users, members, publishing -----------------------------------------------------
def test_scopes_are_grouped_with_what_each_group_requires(seed: Seeder, dev: Dev) -> None:  # VERIFY-2
    for scope in ("openid", "mail.send", "mail.readonly"):
        assert dev.post(f"{P}/scopes", {"add": scope}).status_code == 303
    page = dev.get(f"{P}/scopes").text
    for cls, scope, needs in (
        ("non-sensitive", "openid", "none"),
        ("sensitive", "mail.send", "sensitive scope review"),
        ("restricted", "mail.readonly", "restricted scope review + security assessment"),
    ):
        group = page.split(f'id="group-{cls}"', 1)[1].split("</section>", 1)[0]
        assert f'data-scope="{scope}"' in group and f"<strong>Requires:</strong> {needs}." in group
    r = dev.post(f"{P}/scopes", {"remove": f"{ISSUER}/auth/mail.send"})
    assert r.status_code == 303 and r.headers["location"].endswith("done=scope_removed")
    r = dev.post(f"{P}/scopes", {"add": "mail.everything"})
    assert r.status_code == 400 and "Unknown scope 'mail.everything'" in error_of(r)[1]
    assert project_row(seed)["declared_scopes"] == [MAIL_READONLY, "openid"]


def test_the_101st_test_user_is_refused_with_a_clear_message(seed: Seeder, dev: Dev) -> None:  # VERIFY-11
    hundred = [f"tester{i:03}@example.org" for i in range(100)]
    r = dev.post(f"{P}/test-users", {"add": "\n".join(hundred)})
    assert r.status_code == 303
    assert "100 of 100" in dev.get(f"{P}/test-users").text
    r = dev.post(f"{P}/test-users", {"add": "one-more@example.org"})
    assert r.status_code == 400
    code, message = error_of(r)
    assert code == "limit" and message == (
        "A project in Testing has at most 100 test users: the project lists 100, and these would make 101. "
        "Remove some first, or publish the app to reach more users."
    )
    assert "one-more@example.org" in r.text  # kept in the form
    assert project_row(seed)["test_users"] == sorted(hundred)
    # Remove one, and the same address fits.
    assert dev.post(f"{P}/test-users", {"remove": hundred[0]}).status_code == 303
    assert dev.post(f"{P}/test-users", {"add": "one-more@example.org"}).status_code == 303
    assert len(project_row(seed)["test_users"]) == 100
    r = dev.post(f"{P}/test-users", {"add": "not-an-address"})
    assert r.status_code == 400 and error_of(r)[1] == "Not an email address: 'not-an-address'"


def test_members_are_added_changed_and_removed_by_owners(seed: Seeder, dev: Dev) -> None:  # VERIFY-1
    seed.user("ann@example.org")
    assert dev.post(f"{P}/members", {"email": "ann@example.org", "role": "editor"}).status_code == 303
    assert 'data-member="ann@example.org"' in dev.get(f"{P}/members").text
    assert dev.post(f"{P}/members", {"email": "ann@example.org", "role": "owner"}).status_code == 303
    assert dev.post(f"{P}/members", {"email": "ann@example.org", "role": "remove"}).status_code == 303
    assert 'data-member="ann@example.org"' not in dev.get(f"{P}/members").text
    r = dev.post(f"{P}/members", {"email": "dev@example.org", "role": "remove"})
    assert r.status_code == 409 and error_of(r)[0] == "last_owner"
    r = dev.post(f"{P}/members", {"email": "nobody@example.org", "role": "viewer"})
    assert r.status_code == 404 and "they need an account first" in error_of(r)[1]
    assert 'value="nobody@example.org"' in r.text


def test_publishing_status_and_user_type(seed: Seeder, dev: Dev) -> None:  # VERIFY-10
    assert dev.post(f"{P}/publishing", {"status": "production", "user_type": "external"}).status_code == 303
    assert project_row(seed)["status"] == "production"
    r = dev.post(f"{P}/publishing", {"status": "testing", "user_type": "internal"})
    assert r.status_code == 400 and "Only a project of an organization can be internal" in error_of(r)[1]
    assert project_row(seed)["status"] == "production"  # the valid half of the post was not stored


# --- clients (VERIFY-8) --------------------------------------------------------------------------
def _token(http: TestClient, client_id: str, secret: str) -> int:
    return http.post(
        "/token", data={"grant_type": "client_credentials"}, auth=(client_id, secret)
    ).status_code


def test_secret_shown_once_rotated_and_deleted(seed: Seeder, dev: Dev) -> None:
    r = dev.post(f"{P}/clients", {"name": "Sorter backend", "client_type": "service"})
    assert r.status_code == 200 and "shown only this once" in r.text
    client_id = matched(r'id="client-id">([^<]+)<', r.text)
    secret = matched(r'id="client-secret-value">([^<]+)<', r.text)
    listing = dev.get(f"{P}/clients").text
    assert f'data-client-id="{client_id}"' in listing and secret not in listing
    assert secret not in dev.get(f"{P}/clients/{client_id}/rotate").text
    assert _token(dev.http, client_id, secret) == 200

    confirm = dev.get(f"{P}/clients/{client_id}/rotate").text
    assert "The current secret stops working at once" in confirm
    r = dev.post(f"{P}/clients/{client_id}/rotate")
    assert r.status_code == 200 and "The previous secret no longer works" in r.text
    new_secret = matched(r'id="client-secret-value">([^<]+)<', r.text)
    assert new_secret != secret
    assert _token(dev.http, client_id, secret) == 401
    assert _token(dev.http, client_id, new_secret) == 200

    r = dev.post(f"{P}/clients/{client_id}/disable", {"disabled": "true"})
    assert r.status_code == 303 and _token(dev.http, client_id, new_secret) != 200
    assert dev.post(f"{P}/clients/{client_id}/disable", {"disabled": "false"}).status_code == 303
    assert _token(dev.http, client_id, new_secret) == 200

    r = dev.post(f"{P}/clients/{client_id}/delete")
    assert r.status_code == 303 and r.headers["location"] == f"{P}/clients?done=client_deleted"
    assert f'data-client-id="{client_id}"' not in dev.get(f"{P}/clients").text
    assert _token(dev.http, client_id, new_secret) != 200
    assert dev.get(f"{P}/clients/{client_id}/rotate").status_code == 404


def test_client_forms_refuse_bad_input_and_other_projects_clients(seed: Seeder, dev: Dev, app: Any) -> None:
    r = dev.post(f"{P}/clients", {"client_type": "web", "redirect_uris": "javascript:alert(1)", "name": "w"})
    assert r.status_code == 400 and 'value="w"' in r.text
    r = dev.post(f"{P}/clients", {"client_type": "web"})
    assert r.status_code == 400 and "at least one" in error_of(r)[1]
    seed.user("other@example.org")
    with browser_of(app, "other@example.org") as other:
        other.post("/console/projects", {"name": "Theirs"})
        r = other.post("/console/projects/Theirs/clients", {"client_type": "service"})
        theirs = matched(r'id="client-id">([^<]+)<', r.text)
        # Their client through my project's address: not found, and not deleted.
        assert other.post(f"{P}/clients/{theirs}/delete").status_code == 404
    assert dev.post(f"{P}/clients/{theirs}/delete").status_code == 404
    with seed.db.unit_of_work() as s:
        assert s.scalar(select(func.count()).select_from(Client)) == 1
        assert s.scalar(select(Client.deleted_at)) is None


# --- domains (VERIFY-3) --------------------------------------------------------------------------
def test_domains_show_the_record_and_check_now_records_the_outcome(seed: Seeder, dev: Dev, app: Any) -> None:
    ready_brand(dev)
    page = dev.get(f"{P}/domains").text
    with seed.db.unit_of_work() as s:
        challenge = s.scalar(select(DomainProof.challenge))
    assert f"consentry-site-verification={challenge}" in page
    assert f"https://{DOMAIN}/.well-known/consentry-verification.txt" in page
    with DnsServer({DOMAIN: ["v=spf1 -all"]}) as dns:
        # The file check's fetcher resolves the domain to a private address: refused, no request made.
        fetcher = SafeFetcher(resolve=lambda host, port: ["10.1.2.3"])
        app.dependency_overrides[console_checkers] = lambda: Checkers(
            DnsChecker(["127.0.0.1"], port=dns.port, lifetime=2), fetcher
        )
        r = dev.post(f"{P}/domains/check", {"domain": DOMAIN})
        assert r.status_code == 200
        assert "has no consentry-site-verification TXT record yet" in r.text
        assert "private, loopback or otherwise non-public address" in r.text
        dns.records[DOMAIN].append(f"consentry-site-verification={challenge}")
        r = dev.post(f"{P}/domains/check", {"domain": DOMAIN})
        assert f"{DOMAIN} is verified by its DNS TXT record." in r.text
    with seed.db.unit_of_work() as s:
        proof = s.scalar(select(DomainProof))
        assert proof is not None and proof.verified_at is not None and proof.method == "dns"
    assert 'data-code="domain_unverified' not in dev.get(P).text
    r = dev.post(f"{P}/domains/check", {"domain": "other.example.com"})
    assert r.status_code == 400 and error_of(r)[0] == "unauthorized_domain"


def test_nameservers_setting_is_parsed() -> None:
    assert parse_nameservers("") == ([], 53)
    assert parse_nameservers("127.0.0.1:5353, 127.0.0.2:5353") == (["127.0.0.1", "127.0.0.2"], 5353)
    assert parse_nameservers("[::1]:5300") == (["::1"], 5300)
    assert parse_nameservers("::1") == (["::1"], 53)
    with pytest.raises(ValueError):
        parse_nameservers("127.0.0.1:53,127.0.0.2:54")
    with pytest.raises(ValueError):
        parse_nameservers("dns.example.com")


class CannedSite:
    """A fetcher answering from a dict of pages (the safe fetcher's result type, no network).

    Checkers wants a SafeFetcher; this one has just its fetch(), hence the casts."""

    def __init__(self, pages: dict[str, tuple[int, str]]) -> None:
        self.pages = pages
        self.asked: list[str] = []

    def fetch(self, url: str) -> FetchResult:
        self.asked.append(url)
        if url not in self.pages:
            return FetchResult(url, url, error="dns_failure", detail="no such host")
        status, text = self.pages[url]
        return FetchResult(url, url, status, "text/html", text, error="http_error" if status >= 400 else None)


def test_check_now_falls_back_to_the_well_known_file() -> None:  # VERIFY-3
    challenge = "c" * 32
    file_url = f"https://{DOMAIN}/.well-known/consentry-verification.txt"
    with DnsServer() as dns:  # knows no name: NXDOMAIN
        dns_checker = DnsChecker(["127.0.0.1"], port=dns.port, lifetime=2)
        missing = Checkers(dns_checker, cast(SafeFetcher, CannedSite({file_url: (404, "not here")}))).prove(
            DOMAIN, challenge
        )
        assert not missing.verified and missing.reason == "nxdomain"
        assert f"{file_url} was not found (HTTP 404)" in missing.message  # a 404 is an answer, not a failure
        found = Checkers(
            dns_checker, cast(SafeFetcher, CannedSite({file_url: (200, challenge + "\n")}))
        ).prove(DOMAIN, challenge)
        assert found.verified and found.method == "file"


def test_prechecks_run_on_the_brand_and_come_back_as_json() -> None:  # VERIFY-4, VERIFY-5
    home, policy = f"https://{DOMAIN}/", f"https://{DOMAIN}/privacy"
    site = CannedSite(
        {
            home: (200, f"<h1>Mail Sorter</h1><a href='{policy}'>Privacy policy</a>"),
            policy: (200, "<p>How Mail Sorter accesses, uses, stores and shares your data.</p>"),
        }
    )
    results = Checkers(DnsChecker(), cast(SafeFetcher, site)).prechecks(
        app_name="Mail Sorter", home_page=home, privacy_policy=policy, terms="", verified_domains={DOMAIN}
    )
    assert site.asked == [home, policy]
    by_code = {r["code"]: r for r in results}
    assert by_code["home_page_reachable"]["passed"] is True
    assert by_code["home_page_names_app"]["passed"] is True, by_code
    assert set(results[0]) == {"code", "passed", "message", "url", "status", "excerpt"}
    json.dumps(results)  # stored in a JSON column as is


# --- the submission (VERIFY-6, VERIFY-7) ---------------------------------------------------------
class FakePrechecks(Checkers):
    """Pre-checks without the network: what the fetcher would report, recorded for the test."""

    def __init__(self) -> None:
        super().__init__(DnsChecker(["127.0.0.1"], port=9, lifetime=0.1), SafeFetcher())
        self.calls: list[dict[str, Any]] = []

    def prove(self, domain: str, challenge: str) -> ProofResult:  # pragma: no cover - not used here
        raise AssertionError("no domain check in this test")

    def prechecks(self, **brand: Any) -> list[dict[str, Any]]:
        self.calls.append(brand)
        return [{"check": "home_page_reachable", "passed": True, "evidence": {"url": brand["home_page"]}}]


def answers(**extra: str) -> dict[str, str]:
    return {
        f"usage:{MAIL_READONLY}": "Sorts the user's mail into folders.",
        f"why:{MAIL_READONLY}": "Sorting reads every message; metadata has no bodies.",
        "doc_links": "https://mailsorter.example.com/help",
        "video_url": "https://video.example.com/watch/sorter",
        "app_type": "mail.productivity",
        "transfers": "None, except when the law requires it.",
        "human_access": "Nobody, except with the user's explicit consent.",
        "attested": "on",
        "server_access": "on",
        **extra,
    }


def test_the_verification_form_shows_what_reviewers_need(seed: Seeder, dev: Dev) -> None:
    assert "No verification needed" in dev.get(f"{P}/verification").text
    ready_brand(dev)
    page = dev.get(f"{P}/verification").text
    assert f'name="usage:{MAIL_READONLY}"' in page and f'name="why:{MAIL_READONLY}"' in page
    assert "<code>mail.metadata</code>" in page  # the least-privilege advisor's narrower scope
    assert "the client ID in the browser&#39;s address bar" in page  # the video checklist
    assert '<option value="mail.productivity"' in page and "Let the reviewers decide" in page
    assert 'name="attested"' in page and 'name="task_automation"' in page and 'name="server_access"' in page
    assert "Before you can submit" in page  # the domain is not proven yet


def test_a_fourth_documentation_link_is_refused_and_changes_nothing(
    seed: Seeder, dev: Dev
) -> None:  # VERIFY-6
    ready_brand(dev)
    project_id = project_row(seed)["id"]
    four = "\n".join(f"https://{DOMAIN}/help/{i}" for i in range(4))
    r = dev.post(f"{P}/verification", answers(doc_links=four, action="save"))
    assert r.status_code == 400
    code, message = error_of(r)
    assert code == "limit" and message.startswith("Give at most 3 documentation links; you gave 4.")
    assert f"https://{DOMAIN}/help/3" in r.text  # kept
    assert requests_of(seed, project_id) == []
    three = "\n".join(f"https://{DOMAIN}/help/{i}" for i in range(3))
    assert dev.post(f"{P}/verification", answers(doc_links=three, action="save")).status_code == 303
    (draft,) = requests_of(seed, project_id)
    assert draft.state == "draft" and len(draft.doc_links) == 3 and draft.attested


@pytest.mark.parametrize(
    ("extra", "code", "words"),
    [
        ({"doc_links": "javascript:alert(1)"}, "unsupported_scheme", "javascript: links are not allowed"),
        ({"video_url": "https://192.168.1.5/video"}, "ip_address_host", "not an IP address"),
        (
            {"app_type": "files.sync"},
            "invalid_app_type",
            "'files.sync' is not an approved use case of the APIs this app asks for. Pick one of the "
            "listed use cases (mail.backup, mail.client, mail.productivity, mail.reporting)",
        ),
    ],
)
def test_bad_submission_values_are_refused(
    seed: Seeder, dev: Dev, extra: dict[str, str], code: str, words: str
) -> None:
    ready_brand(dev)
    r = dev.post(f"{P}/verification", answers(**extra, action="save"))
    assert r.status_code == 400
    assert error_of(r)[0] == code and words in error_of(r)[1]
    assert requests_of(seed, project_row(seed)["id"]) == []


def test_the_scan_report_must_be_a_json_report_of_at_most_1_mb(seed: Seeder, dev: Dev) -> None:  # VERIFY-6
    ready_brand(dev)
    project_id = project_row(seed)["id"]
    for data, words in (
        (b"not json", "is not JSON"),
        (b"[1, 2]", "not a scan report"),
        (json.dumps({"scopes": [], "pad": "x" * 1_000_000}).encode(), "attach at most 1 MB"),
    ):
        r = dev.post(
            f"{P}/verification",
            answers(action="save"),
            files={"scan_report": ("r.json", data, "application/json")},
        )
        assert r.status_code == 400 and words in error_of(r)[1], error_of(r)
    assert requests_of(seed, project_id) == []
    report = {
        "path": "src",
        "scopes": [{"scope": "mail.readonly"}],
        "advice": {"summary": "needs mail.readonly"},
    }
    r = dev.post(
        f"{P}/verification",
        answers(action="save"),
        files={"scan_report": ("r.json", json.dumps(report).encode(), "application/json")},
    )
    assert r.status_code == 303
    assert requests_of(seed, project_id)[0].scan_report == report
    assert "finding 1 scope(s)" in dev.get(f"{P}/verification").text


def test_an_incomplete_submit_stores_nothing_not_even_the_draft(seed: Seeder, dev: Dev, app: Any) -> None:
    """Submit saves the answers then submits; when the submit is refused, the save is rolled back too."""
    ready_brand(dev)  # the domain is not proven: the submit must fail after the save succeeded
    fake = FakePrechecks()
    app.dependency_overrides[console_checkers] = lambda: fake
    r = dev.post(f"{P}/verification", answers(action="submit"))
    assert r.status_code == 400
    code, message = error_of(r)
    assert code == "incomplete" and f"Prove you own {DOMAIN}" in message
    assert "Sorts the user&#39;s mail into folders." in r.text  # the answers are kept in the form
    assert requests_of(seed, project_row(seed)["id"]) == []
    assert fake.calls == []  # no network while the brand would refuse the submit


def test_submit_runs_the_prechecks_then_the_reviewers_ask_and_the_developer_answers(
    seed: Seeder, dev: Dev, app: Any
) -> None:  # VERIFY-4, VERIFY-5, VERIFY-6, VERIFY-7
    ready_brand(dev)
    verify_domain(seed, dev)
    fake = FakePrechecks()
    app.dependency_overrides[console_checkers] = lambda: fake
    r = dev.post(f"{P}/verification", answers(action="submit"))
    assert r.status_code == 303 and r.headers["location"] == f"{P}?done=submitted"
    assert fake.calls == [
        {
            "app_name": "Mail Sorter",
            "home_page": f"https://{DOMAIN}/",
            "privacy_policy": f"https://{DOMAIN}/privacy",
            "terms": "",
            "verified_domains": {DOMAIN},
        }
    ]
    (request,) = requests_of(seed, project_row(seed)["id"])
    assert request.state == "submitted" and request.prechecks == fake.prechecks(**fake.calls[0])
    page = dev.get(P).text
    assert "Submitted; waiting for a reviewer to pick it up." in page
    assert "The answers can't change while the review is open" in dev.get(f"{P}/verification").text

    seed.user("rev@example.org", role="reviewer")
    with as_service(seed, "rev@example.org", "reviewer") as reviewer:
        Review(reviewer).ask(PROJECT, "Show the sorting rules in the video, please.")
    page = dev.get(P).text
    assert 'data-state="waiting_for_developer"' in page
    assert "Paused: the reviewers asked you something." in page
    assert "Show the sorting rules in the video, please." in page and 'id="answer-form"' in page
    r = dev.post(f"{P}/answer", {"message": "   "})
    assert r.status_code == 400 and "cannot be empty" in error_of(r)[1]
    r = dev.post(f"{P}/answer", {"message": "Done: see 1:20 in the video."})
    assert r.status_code == 303 and r.headers["location"] == f"{P}?done=answered"
    page = dev.get(P).text
    assert "A reviewer is looking at it." in page and "Done: see 1:20 in the video." in page
    assert 'id="answer-form"' not in page
    r = dev.post(f"{P}/answer", {"message": "Again?"})
    assert r.status_code == 409  # nothing is waiting for an answer now


def test_every_route_of_the_consoles_and_their_api_checks_permission_and_csrf() -> None:
    """Review finding: the check above covered only the console's POSTs; every write of the
    reviewer console and of /api/v1 (POST, PUT, PATCH, DELETE) carries the CSRF check, and
    every route a permission (a project's, a client's, or the reviewer's)."""
    from fastapi.routing import APIRoute

    from consentry.web.api import clients, projects, review, verification
    from consentry.web.console.pages import SECTIONS
    from consentry.web.review import pages as review_pages

    routers = [*(s.router for s in SECTIONS), review_pages.router]
    routers += [projects.router, clients.router, verification.router, review.router]
    routes = [r for router in routers for r in router.routes if isinstance(r, APIRoute)]
    assert len(routes) >= 60
    permission = ("require.<locals>.check", "require_platform.<locals>.check", "client_of.<locals>.check")
    for route in routes:
        calls = _calls(route.dependant)
        assert route.methods is not None  # an APIRoute always has its methods
        guarded = "{project}" in route.path or "{client_id}" in route.path
        if guarded or route.path.startswith(("/review", "/api/v1/review")):
            assert any(p in calls for p in permission), route.path
        else:  # listing or creating one's own projects: signed in is enough
            assert "_console" in calls or "_current_user" in calls, route.path
        if route.methods & {"POST", "PUT", "PATCH", "DELETE"}:
            assert "_csrf" in calls, (route.path, route.methods)
