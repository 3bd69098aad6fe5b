"""The developer console's JSON API, ``/api/v1`` (VERIFY-1..8, issue 11).

Each endpoint's answer; who may call what (401 signed out, 403 without the X-CSRF-Token header or
the permission, 404 for a stranger); and bad input refused with its code while the database stays
exactly as it was.
"""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from typing import Any

import pytest
from PIL import Image

from tests.conftest import ISSUER
from tests.integration.api import (
    Api,
    b64,
    error,
    fake_checkers,
    loaded,
    png,
    rows,
    sign_in,
    snapshot,
)
from tests.support.seed import Seeder

OWNER, EDITOR, VIEWER, STRANGER = (f"{who}@example.com" for who in ("owner", "editor", "viewer", "stranger"))
NAME = "Acme Mail"
P = "/api/v1/projects/Acme%20Mail"
MAIL_READONLY = f"{ISSUER}/auth/mail.readonly"
BRAND = {
    "app_name": "Acme Mail",
    "support_email": "support@acme.example.com",
    "home_page": "https://acme.example.com/",
    "privacy_policy": "https://acme.example.com/privacy",
    "authorized_domains": ["acme.example.com"],
    "developer_contacts": ["dev@acme.example.com"],
}


@dataclass
class World:
    app: Any
    seed: Seeder
    client_id: str
    apis: dict[str, Api] = field(default_factory=dict)

    def api(self, email: str) -> Api:
        if email not in self.apis:
            self.apis[email] = sign_in(self.app, email)
        return self.apis[email]

    @property
    def owner(self) -> Api:
        return self.api(OWNER)


@pytest.fixture
def world(app: Any, seed: Seeder) -> World:
    """Project "Acme Mail" made through the API: an owner, an editor, a viewer, one web client."""
    for email in (OWNER, EDITOR, VIEWER, STRANGER):
        seed.user(email)
    fake_checkers(app)  # no test here reaches the network
    owner = sign_in(app, OWNER)
    assert owner.post("/api/v1/projects", {"name": NAME}).status_code == 201
    assert owner.put(f"{P}/members/{EDITOR}", {"role": "editor"}).status_code == 200
    assert owner.put(f"{P}/members/{VIEWER}", {"role": "viewer"}).status_code == 200
    made = owner.post(f"{P}/clients", {"type": "web", "redirect_uris": ["https://acme.example.com/cb"]})
    assert made.status_code == 201, made.text
    return World(app, seed, made.json()["client"]["client_id"], {OWNER: owner})


def reads(client_id: str) -> list[tuple[str, str]]:
    return [
        ("GET", "/api/v1/session"),
        ("GET", "/api/v1/projects"),
        ("GET", P),
        ("GET", f"{P}/logo"),
        ("GET", f"{P}/clients"),
        ("GET", f"/api/v1/clients/{client_id}"),
        ("GET", f"{P}/domains"),
        ("GET", f"{P}/verification"),
    ]


def writes(client_id: str) -> list[tuple[str, str, Any]]:
    c = f"/api/v1/clients/{client_id}"
    return [
        ("POST", "/api/v1/projects", {"name": "Other"}),
        ("PATCH", f"{P}/consent-screen", {"app_name": "Renamed"}),
        ("POST", f"{P}/scopes", {"add": ["mail.readonly"]}),
        ("POST", f"{P}/test-users", {"add": ["tester@example.com"]}),
        ("PATCH", f"{P}/publishing", {"status": "production"}),
        ("PUT", f"{P}/members/{STRANGER}", {"role": "editor"}),
        ("DELETE", f"{P}/members/{VIEWER}", None),
        ("POST", f"{P}/clients", {"type": "device"}),
        ("POST", f"{c}/rotate-secret", None),
        ("POST", f"{c}/disable", None),
        ("POST", f"{c}/enable", None),
        ("DELETE", c, None),
        ("POST", f"{P}/domains/acme.example.com/check", None),
        ("PUT", f"{P}/verification", {"video_url": "https://acme.example.com/video"}),
        ("POST", f"{P}/verification/submit", None),
        ("POST", f"{P}/verification/answer", {"message": "Here it is"}),
    ]


# --- the gate: session, CSRF, permissions -----------------------------------------------------------


def test_every_route_needs_a_session(world: World, client: Any) -> None:
    before = snapshot(world.seed)
    for method, path in reads(world.client_id):
        r = client.request(method, path)
        assert r.status_code == 401 and error(r) == "unauthenticated", (method, path, r.text)
    for method, path, body in writes(world.client_id):
        r = client.request(method, path, json=body, headers={"X-CSRF-Token": "x"})
        assert r.status_code == 401 and error(r) == "unauthenticated", (method, path, r.text)
    assert snapshot(world.seed) == before


def test_writes_without_the_csrf_header_change_nothing(world: World) -> None:
    # Issue 11 "CSRF missing": the cookie alone (what a forged cross-site request carries) is not enough.
    before = snapshot(world.seed)
    for method, path, body in writes(world.client_id):
        for token in (None, "0" * 64, world.api(EDITOR).csrf):  # none, made up, another session's
            r = world.owner.write(method, path, body, csrf=token)
            assert r.status_code == 403 and error(r) == "csrf", (method, path, token, r.text)
    assert snapshot(world.seed) == before


def test_viewer_reads_but_cannot_edit_and_a_stranger_sees_nothing(world: World) -> None:
    viewer, stranger = world.api(VIEWER), world.api(STRANGER)
    for method, path in reads(world.client_id)[2:]:
        if path.endswith("/logo"):
            continue  # no logo yet: 404 for everyone
        assert viewer.get(path).status_code == 200, path
        r = stranger.get(path)
        assert r.status_code == 404 and error(r) == "not_found", (path, r.text)
    assert [p["name"] for p in stranger.get("/api/v1/projects").json()["projects"]] == []
    before = snapshot(world.seed)
    for method, path, body in writes(world.client_id)[1:]:  # creating a project of one's own is fine
        r = viewer.write(method, path, body)
        assert r.status_code == 403 and error(r) == "forbidden", (method, path, r.text)
        r = stranger.write(method, path, body)
        assert r.status_code == 404 and error(r) == "not_found", (method, path, r.text)
    assert snapshot(world.seed) == before


def test_an_editor_cannot_manage_members(world: World) -> None:  # VERIFY-1
    before = snapshot(world.seed)
    r = world.api(EDITOR).put(f"{P}/members/{STRANGER}", {"role": "owner"})
    assert r.status_code == 403 and error(r) == "forbidden"
    assert snapshot(world.seed) == before


# --- projects -------------------------------------------------------------------------------------


def test_session_gives_the_csrf_token(world: World) -> None:
    me = world.owner.get("/api/v1/session").json()
    assert me == {"email": OWNER, "platform_role": "user", "csrf_token": world.owner.csrf}
    assert len(me["csrf_token"]) == 64


def test_project_list_and_details(world: World) -> None:  # VERIFY-1, VERIFY-2
    listed = world.api(EDITOR).get("/api/v1/projects").json()["projects"]
    assert [(p["name"], p["role"], p["status"], p["user_type"]) for p in listed] == [
        (NAME, "editor", "testing", "external")
    ]
    d = world.api(VIEWER).get(P).json()
    assert d["name"] == NAME and d["role"] == "viewer" and d["permissions"] == ["project:view"]
    assert d["consent_screen"]["app_name"] == NAME and d["consent_screen"]["logo_url"] is None
    assert {k: v["requires"] for k, v in d["scopes"]["by_class"].items()} == {
        "non-sensitive": "none",
        "sensitive": "sensitive scope review",
        "restricted": "restricted scope review + security assessment",
    }
    assert d["verification"]["needed"] == "none" and "headline" in d["verification"]
    assert {(m["email"], m["role"]) for m in d["members"]} == {
        (OWNER, "owner"),
        (EDITOR, "editor"),
        (VIEWER, "viewer"),
    }
    assert [c["client_id"] for c in d["clients"]] == [world.client_id]
    assert "secret" not in str(d["clients"]).replace("confidential", "")


def test_create_project(world: World) -> None:
    stranger = world.api(STRANGER)
    r = stranger.post("/api/v1/projects", {"name": "Side Project", "status": "production"})
    assert r.status_code == 201, r.text
    assert (r.json()["role"], r.json()["status"], r.json()["members"]) == (
        "owner",
        "production",
        [{"email": STRANGER, "role": "owner"}],
    )
    assert rows(world.seed, "SELECT tag, actor FROM audit_events WHERE tag = 'project:create' ORDER BY id")[
        -1
    ] == (
        "project:create",
        STRANGER,
    )
    before = snapshot(world.seed)
    for body, code in (
        ({"name": NAME}, "exists"),
        ({"name": "bad/name"}, "invalid_name"),
        ({"name": "Corp", "user_type": "internal"}, "invalid_user_type"),  # not an org's user
        ({"name": "X", "status": "live"}, "invalid_request"),
        ({"name": "X", "extra": 1}, "invalid_request"),
        ({"name": "x" * 101}, "invalid_request"),
    ):
        r = stranger.post("/api/v1/projects", body)
        assert r.status_code in (400, 409) and error(r) == code, (body, r.text)
    assert snapshot(world.seed) == before


# --- consent screen (VERIFY-2, VERIFY-3) ------------------------------------------------------------


def test_consent_screen_and_logo(world: World) -> None:
    upload = png((300, 260), comment="<script>alert(1)</script>")
    r = world.api(EDITOR).patch(f"{P}/consent-screen", {**BRAND, "logo_base64": b64(upload)})
    assert r.status_code == 200, r.text
    saved = r.json()
    assert saved["brand_changed"] is True and saved["logo_url"] == f"{P}/logo"
    assert {k: saved[k] for k in BRAND} == BRAND
    logo = world.api(VIEWER).get(f"{P}/logo")
    assert logo.status_code == 200 and logo.headers["content-type"] == "image/png"
    assert b"script" not in logo.content and logo.content != upload  # re-encoded: only pixels survive
    assert Image.open(io.BytesIO(logo.content)).size == (120, 120)
    # A data: URL works too; an unchanged field stays as it was.
    data_url = "data:image/png;base64," + b64(png())
    assert world.owner.patch(f"{P}/consent-screen", {"logo_base64": data_url}).status_code == 200
    assert world.owner.get(P).json()["consent_screen"]["home_page"] == BRAND["home_page"]
    assert world.api(STRANGER).get(f"{P}/logo").status_code == 404
    audit = rows(world.seed, "SELECT data FROM audit_events WHERE tag = 'project:brand:change' ORDER BY id")
    assert len(audit) == 2 and loaded(audit[0][0])["channel"] == "api"


@pytest.mark.parametrize(
    ("change", "code"),
    [
        ({"home_page": "javascript:alert(1)"}, "unsupported_scheme"),
        ({"privacy_policy": "https://10.0.0.1/privacy"}, "ip_address_host"),
        ({"home_page": "https://localhost/"}, "non_public_host"),
        ({"home_page": "http://acme.example.com/"}, "insecure_url"),
        ({"privacy_policy": "https://elsewhere.example.org/privacy"}, "privacy_policy_off_domain"),
        ({"app_name": "Google Mail Sync"}, "reserved_name"),
        ({"support_email": "not-an-address"}, "invalid_email"),
        ({"authorized_domains": ["intranet.local"]}, "invalid_domain"),
        ({"authorized_domains": [f"d{i}.example.com" for i in range(21)]}, "limit"),
        ({"logo_base64": b64(b"<svg xmlns='http://www.w3.org/2000/svg'><script/></svg>")}, "invalid_logo"),
        ({"logo_base64": b64(b"<html><script>alert(1)</script></html>")}, "invalid_logo"),
        ({"logo_base64": b64(png((64, 200)))}, "invalid_logo"),  # not square
        ({"logo_base64": "not base64 at all!"}, "invalid_logo"),
        ({"logo": b64(png())}, "invalid_request"),  # unknown field
        ({"app_name": "a\x00b"}, "invalid_request"),  # no column holds a NUL
    ],
)
def test_bad_consent_screen_input_changes_nothing(world: World, change: dict[str, Any], code: str) -> None:
    assert world.owner.patch(f"{P}/consent-screen", BRAND).status_code == 200
    before = snapshot(world.seed)
    r = world.owner.patch(f"{P}/consent-screen", {**BRAND, "app_name": "Acme Mail 2", **change})
    assert r.status_code == 400 and error(r) == code, r.text
    assert snapshot(world.seed) == before


def test_a_url_too_long_once_encoded_is_refused(world: World) -> None:
    before = snapshot(world.seed)
    r = world.owner.patch(f"{P}/consent-screen", {"terms": "https://acme.example.com/" + "é" * 1000})
    assert r.status_code == 400 and error(r) == "invalid_url", r.text
    assert snapshot(world.seed) == before


def test_a_logo_just_under_1_mib_is_accepted(world: World) -> None:
    import os

    noise = Image.frombytes("RGB", (560, 560), os.urandom(560 * 560 * 3))  # incompressible
    out = io.BytesIO()
    noise.save(out, format="PNG")
    assert 900_000 < len(out.getvalue()) <= 1024 * 1024
    r = world.owner.patch(f"{P}/consent-screen", {"logo_base64": b64(out.getvalue())})
    assert r.status_code == 200, r.text


def test_oversized_logo_is_refused(world: World) -> None:
    """More than 1 MiB decoded: refused by the logo rules (400) or, before them, the body limit (413)."""
    before = snapshot(world.seed)
    big = png() + b"\0" * (1024 * 1024)
    r = world.owner.patch(f"{P}/consent-screen", {"logo_base64": b64(big)})
    assert (r.status_code, error(r)) in ((400, "invalid_logo"), (413, "content_too_large")), r.text
    assert snapshot(world.seed) == before


# --- scopes, test users, publishing, members ----------------------------------------------------


def test_scopes_by_class(world: World) -> None:
    r = world.api(EDITOR).post(
        f"{P}/scopes", {"add": ["mail.readonly", "openid", f"{ISSUER}/auth/mail.send"]}
    )
    assert r.status_code == 200, r.text
    by_class = {k: v["scopes"] for k, v in r.json()["by_class"].items()}
    assert by_class == {
        "non-sensitive": ["openid"],
        "sensitive": [f"{ISSUER}/auth/mail.send"],
        "restricted": [MAIL_READONLY],
    }
    r = world.owner.post(f"{P}/scopes", {"remove": ["mail.send"]})
    assert r.json()["declared"] == [MAIL_READONLY, "openid"]
    status = world.owner.get(P).json()["verification"]
    assert status["needed"] == "restricted" and status["unapproved_scopes"] == [MAIL_READONLY]
    before = snapshot(world.seed)
    r = world.owner.post(f"{P}/scopes", {"add": ["mail.everything"]})
    assert r.status_code == 400 and error(r) == "invalid_scope"
    assert snapshot(world.seed) == before


def test_test_users_at_most_100(world: World) -> None:  # VERIFY-11 limit, issue 11 "the 101st test user"
    hundred = [f"tester{i}@example.com" for i in range(100)]
    r = world.owner.post(f"{P}/test-users", {"add": hundred})
    assert r.status_code == 200 and r.json()["limit"] == 100 and len(r.json()["test_users"]) == 100
    before = snapshot(world.seed)
    r = world.owner.post(f"{P}/test-users", {"add": ["one-more@example.com"]})
    assert r.status_code == 400 and error(r) == "limit" and "100" in r.json()["error_description"]
    r = world.owner.post(f"{P}/test-users", {"add": ["not an email"]})
    assert r.status_code == 400 and error(r) == "invalid_email"
    assert snapshot(world.seed) == before
    r = world.owner.post(f"{P}/test-users", {"add": ["One-More@Example.com"], "remove": [hundred[0]]})
    assert r.status_code == 200 and "one-more@example.com" in r.json()["test_users"]
    assert hundred[0] not in r.json()["test_users"]


def test_publishing(world: World) -> None:
    r = world.owner.patch(f"{P}/publishing", {"status": "production"})
    assert r.status_code == 200 and (r.json()["status"], r.json()["user_type"]) == ("production", "external")
    assert "headline" in r.json()["verification"]
    before = snapshot(world.seed)
    r = world.owner.patch(f"{P}/publishing", {"user_type": "internal"})  # no organization
    assert r.status_code == 400 and error(r) == "invalid_user_type"
    r = world.owner.patch(f"{P}/publishing", {"status": "public"})
    assert r.status_code == 400 and error(r) == "invalid_request"
    assert snapshot(world.seed) == before


def test_members(world: World) -> None:  # VERIFY-1
    r = world.owner.put(f"{P}/members/{STRANGER}", {"role": "editor"})
    assert r.status_code == 200 and {"email": STRANGER, "role": "editor"} in r.json()["members"]
    assert world.api(STRANGER).get(P).status_code == 200
    r = world.owner.delete(f"{P}/members/{STRANGER}")
    assert r.status_code == 200 and STRANGER not in str(r.json())
    assert world.api(STRANGER).get(P).status_code == 404
    before = snapshot(world.seed)
    r = world.owner.delete(f"{P}/members/{OWNER}")
    assert r.status_code == 409 and error(r) == "last_owner"
    r = world.owner.put(f"{P}/members/nobody@example.com", {"role": "viewer"})
    assert r.status_code == 404 and error(r) == "not_found"
    r = world.owner.put(f"{P}/members/{STRANGER}", {"role": "admin"})
    assert r.status_code == 400 and error(r) == "invalid_request"
    assert snapshot(world.seed) == before


# --- OAuth clients (VERIFY-8) ---------------------------------------------------------------------


def test_client_lifecycle(world: World) -> None:
    editor = world.api(EDITOR)
    r = editor.post(
        f"{P}/clients", {"type": "web", "name": "Acme web", "redirect_uris": ["https://a.example.com/cb"]}
    )
    assert r.status_code == 201 and r.headers["cache-control"] == "no-store"
    made = r.json()
    secret, cid = made["client_secret"], made["client"]["client_id"]
    assert secret and made["client"]["confidential"] and made["client"]["name"] == "Acme web"
    assert secret not in world.owner.get(f"/api/v1/clients/{cid}").text  # shown once only
    ids = [c["client_id"] for c in world.api(VIEWER).get(f"{P}/clients").json()["clients"]]
    assert ids == [world.client_id, cid]
    hashes = rows(world.seed, "SELECT secret_hash FROM clients WHERE client_id = :c", c=cid)
    rotated = editor.post(f"/api/v1/clients/{cid}/rotate-secret")
    assert rotated.status_code == 200 and rotated.json()["client_secret"] not in (secret, "")
    assert rows(world.seed, "SELECT secret_hash FROM clients WHERE client_id = :c", c=cid) != hashes
    assert editor.post(f"/api/v1/clients/{cid}/disable").json()["disabled"] is True
    assert editor.post(f"/api/v1/clients/{cid}/enable").json()["disabled"] is False
    gone = editor.delete(f"/api/v1/clients/{cid}")
    assert gone.status_code == 200 and gone.json()["deleted_at"] and gone.json()["disabled"]
    assert [c["client_id"] for c in editor.get(f"{P}/clients").json()["clients"]] == [world.client_id]
    deleted = editor.get(f"{P}/clients", params={"deleted": "true"}).json()["clients"]
    assert [c["client_id"] for c in deleted] == [cid]
    before = snapshot(world.seed)
    for method, path in (("POST", "enable"), ("POST", "rotate-secret"), ("DELETE", "")):
        r = editor.write(method, f"/api/v1/clients/{cid}/{path}".rstrip("/"))
        assert r.status_code == 409 and error(r) == "deleted_client", (path, r.text)
    assert snapshot(world.seed) == before
    tags = [
        t
        for (t,) in rows(
            world.seed, "SELECT tag FROM audit_events WHERE tag LIKE 'project:client:%' ORDER BY id"
        )
    ]
    assert tags[-5:] == [
        "project:client:create",
        "project:client:rotate_secret",
        "project:client:disable",
        "project:client:enable",
        "project:client:delete",
    ]
    # Restored within 30 days: back in the list, still disabled, its old tokens still revoked.
    restored = editor.post(f"/api/v1/clients/{cid}/restore")
    assert restored.status_code == 200 and restored.json()["deleted_at"] is None
    assert restored.json()["disabled"] is True
    assert cid in [c["client_id"] for c in editor.get(f"{P}/clients").json()["clients"]]
    again = editor.post(f"/api/v1/clients/{cid}/restore")
    assert again.status_code == 409 and error(again) == "not_deleted"


def test_public_client_has_no_secret(world: World) -> None:
    r = world.owner.post(f"{P}/clients", {"type": "installed", "redirect_uris": ["http://127.0.0.1"]})
    assert r.status_code == 201 and r.json()["client_secret"] is None
    cid = r.json()["client"]["client_id"]
    r = world.owner.post(f"/api/v1/clients/{cid}/rotate-secret")
    assert r.status_code == 400 and error(r) == "public_client"


@pytest.mark.parametrize(
    ("body", "code"),
    [
        ({"type": "web", "redirect_uris": ["javascript:alert(1)"]}, "invalid_redirect_uri"),
        ({"type": "web", "redirect_uris": ["https://acme.example.com/cb#frag"]}, "invalid_redirect_uri"),
        ({"type": "web", "redirect_uris": []}, "invalid_redirect_uri"),
        ({"type": "device", "redirect_uris": ["https://acme.example.com/cb"]}, "invalid_redirect_uri"),
        ({"type": "oauth3"}, "invalid_request"),
        ({"type": "web", "name": "x" * 201, "redirect_uris": ["https://a.example.com/"]}, "invalid_request"),
        (
            {"type": "web", "name": "\u202eevil", "redirect_uris": ["https://a.example.com/"]},
            "invalid_request",
        ),
    ],
)
def test_bad_client_input_changes_nothing(world: World, body: dict[str, Any], code: str) -> None:
    before = snapshot(world.seed)
    r = world.owner.post(f"{P}/clients", body)
    assert r.status_code == 400 and error(r) == code, r.text
    assert snapshot(world.seed) == before


def test_client_permissions(world: World) -> None:
    c = f"/api/v1/clients/{world.client_id}"
    assert world.api(VIEWER).get(c).json()["project"] == NAME
    before = snapshot(world.seed)
    for path in ("rotate-secret", "disable"):
        r = world.api(VIEWER).post(f"{c}/{path}")
        assert r.status_code == 403 and error(r) == "forbidden"
    for method, path in (("GET", c), ("POST", f"{c}/disable"), ("DELETE", c)):
        r = world.api(STRANGER).write(method, path)
        assert r.status_code == 404 and error(r) == "not_found"
    r = world.owner.get("/api/v1/clients/no-such-client")
    assert r.status_code == 404 and error(r) == "not_found"
    assert snapshot(world.seed) == before


# --- domains (VERIFY-3) ---------------------------------------------------------------------------


def test_domains_list_the_record_to_publish(world: World) -> None:
    assert world.owner.patch(f"{P}/consent-screen", BRAND).status_code == 200
    # The challenge is made when the domain is authorized, so even a viewer sees it (a GET never writes).
    d = world.api(VIEWER).get(f"{P}/domains").json()["domains"]
    assert len(d) == 1 and d[0]["domain"] == "acme.example.com" and d[0]["verified"] is False
    challenge = d[0]["challenge"]
    assert d[0]["txt_record"] == {
        "name": "acme.example.com",
        "type": "TXT",
        "value": f"consentry-site-verification={challenge}",
    }
    assert d[0]["file"] == {
        "url": "https://acme.example.com/.well-known/consentry-verification.txt",
        "content": challenge,
    }
    # Stable: asking again gives the same challenge, to every member.
    assert world.api(EDITOR).get(f"{P}/domains").json()["domains"] == d


def test_domain_check_by_dns(world: World) -> None:  # VERIFY-3
    """A real DNS server (tests/support/dns_server.py) and the real checker: first nothing is
    published, then the TXT record is, and the domain is verified."""
    from consentry.domain.verification.domain_ownership import DnsChecker
    from consentry.domain.verification.fetcher import SafeFetcher
    from consentry.web.console.checkers import Checkers, console_checkers
    from tests.support.dns_server import DnsServer

    assert world.owner.patch(f"{P}/consent-screen", BRAND).status_code == 200
    [domain] = world.api(EDITOR).get(f"{P}/domains").json()["domains"]
    check = f"{P}/domains/acme.example.com/check"
    with DnsServer({"acme.example.com": ["v=spf1 -all"]}) as dns:
        # The file fallback is refused before any connection: the name "resolves" to loopback.
        fetcher = SafeFetcher(resolve=lambda host, port: ["127.0.0.1"])
        world.app.dependency_overrides[console_checkers] = lambda: Checkers(
            DnsChecker(["127.0.0.1"], port=dns.port, lifetime=2), fetcher
        )
        r = world.api(EDITOR).post(check)
        assert r.status_code == 200, r.text
        assert r.json()["result"]["verified"] is False and r.json()["result"]["reason"] == "no_record"
        assert domain["txt_record"]["value"] in r.json()["result"]["message"]  # says what to publish
        assert r.json()["domain"]["verified"] is False and r.json()["domain"]["last_error"]
        dns.records["acme.example.com"].append(domain["txt_record"]["value"])
        r = world.api(EDITOR).post(check)
    body = r.json()
    assert body["result"]["verified"] is True and body["result"]["method"] == "dns"
    assert body["domain"]["verified"] is True and body["domain"]["method"] == "dns"
    assert world.owner.get(f"{P}/domains").json()["domains"][0]["verified"] is True
    missing = world.owner.get(P).json()["verification"]["missing"]
    assert not [x for x in missing if x["code"].startswith("domain_unverified")]
    assert rows(world.seed, "SELECT tag FROM audit_events WHERE tag = 'project:domain:verify'")


def test_domain_check_refusals_change_nothing(world: World) -> None:
    assert world.owner.patch(f"{P}/consent-screen", BRAND).status_code == 200
    world.owner.get(f"{P}/domains")
    before = snapshot(world.seed)
    for who, domain, status, code in (
        (VIEWER, "acme.example.com", 403, "forbidden"),
        (OWNER, "other.example.org", 400, "unauthorized_domain"),
        (OWNER, "not a domain", 400, "invalid_domain"),
    ):
        r = world.api(who).post(f"{P}/domains/{domain}/check")
        assert r.status_code == status and error(r) == code, (domain, r.text)
    assert snapshot(world.seed) == before


# --- verification (VERIFY-6) -----------------------------------------------------------------------


def test_verification_draft(world: World) -> None:
    world.owner.post(f"{P}/scopes", {"add": ["mail.readonly"]})
    empty = world.api(VIEWER).get(f"{P}/verification").json()
    assert empty["request"] is None and empty["max_doc_links"] == 3 and empty["video_checklist"]
    assert empty["scopes"][0]["scope"] == MAIL_READONLY and empty["scopes"][0]["narrower"]
    assert "mail.client" in empty["app_type_choices"]
    answers = {
        "justifications": {"mail.readonly": {"usage": "We show the inbox.", "why_not_narrower": "Bodies."}},
        "doc_links": ["https://acme.example.com/docs"],
        "video_url": "https://video.example.com/acme",
        "app_type": "mail.client",
        "transfers": "None.",
        "human_access": "Nobody.",
        "attested": True,
    }
    r = world.api(EDITOR).put(f"{P}/verification", answers)
    assert r.status_code == 200, r.text
    req = r.json()["request"]
    assert req["state"] == "draft" and req["justifications"] == {
        MAIL_READONLY: {"usage": "We show the inbox.", "why_not_narrower": "Bodies."}
    }
    assert (req["app_type"], req["attested"], req["doc_links"]) == (
        "mail.client",
        True,
        ["https://acme.example.com/docs"],
    )
    before = snapshot(world.seed)
    for change, code in (
        ({"doc_links": [f"https://acme.example.com/doc{i}" for i in range(4)]}, "limit"),  # 4th link
        ({"video_url": "javascript:alert(1)"}, "unsupported_scheme"),
        ({"doc_links": ["https://192.168.1.10/doc"]}, "ip_address_host"),
        ({"app_type": "mail.spam"}, "invalid_app_type"),
        ({"justifications": {"calendar.readonly": {"usage": "x"}}}, "invalid_scope"),
        ({"transfers": "x" * 5001}, "too_long"),
        ({"doc_links": ["https://a.example.com/"] * 11}, "invalid_request"),
    ):
        r = world.owner.put(f"{P}/verification", {**answers, **change})
        assert r.status_code == 400 and error(r) == code, (change, r.text)
    # Submitting with the brand incomplete is refused and says what is missing.
    r = world.owner.post(f"{P}/verification/submit")
    assert r.status_code == 400 and error(r) == "incomplete" and "logo" in r.json()["error_description"]
    r = world.owner.post(f"{P}/verification/answer", {"message": "hello"})
    assert r.status_code == 404 and error(r) == "not_found"  # nothing submitted yet
    assert snapshot(world.seed) == before
    r = world.api(VIEWER).put(f"{P}/verification", answers)
    assert r.status_code == 403 and error(r) == "forbidden"


def test_nothing_to_verify(world: World) -> None:
    r = world.owner.post(f"{P}/verification/submit")
    assert r.status_code == 400 and error(r) == "nothing_to_verify"


# --- fuzzing, signed in ------------------------------------------------------------------------------


@pytest.mark.fuzz
def test_fuzz_signed_in_no_server_errors(app: Any, seed: Seeder) -> None:
    """tests/security/test_fuzz_openapi.py calls /api/v1 without a session, so the console routes
    answer 401 before reading their input. Here a reviewer-owner's session and CSRF token go with every
    generated request, and the path names a real project and client, so bodies and queries reach
    the services: schemathesis's positive and negative cases never get a 5xx or a traceback."""
    import schemathesis
    from hypothesis import HealthCheck, Phase, given, settings
    from hypothesis.errors import Unsatisfiable
    from schemathesis import GenerationMode
    from schemathesis.checks import not_a_server_error
    from schemathesis.core.result import Ok
    from schemathesis.python.asgi import shutdown_lifespans

    from tests.security.conftest import FUZZ, SCALE

    seed.user("reviewer@example.com", role="reviewer")
    fake_checkers(app)
    op = sign_in(
        app, "reviewer@example.com"
    )  # a reviewer who owns the project: every permission but deciding on it
    assert op.post("/api/v1/projects", {"name": NAME}).status_code == 201
    made = op.post(f"{P}/clients", {"type": "web", "redirect_uris": ["https://acme.example.com/cb"]})
    real = {"project": NAME, "client_id": made.json()["client"]["client_id"]}
    sid = op.http.cookies["consentry_sid"]
    schema = schemathesis.openapi.from_asgi("/openapi.json", app).include(
        path_regex=r"^/api/v1/(session|projects|clients|review)"
    )
    failures: dict[str, str] = {}
    try:
        for result in schema.get_all_operations():
            assert isinstance(result, Ok), result.err()  # the schema loaded
            operation = result.ok()
            for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):

                @settings(
                    FUZZ,
                    max_examples=SCALE * 10,
                    phases=[Phase.explicit, Phase.generate],
                    suppress_health_check=list(HealthCheck),
                )
                @given(case=operation.as_strategy(generation_mode=mode))
                def run(case: Any) -> None:
                    for name, value in real.items():
                        if case.path_parameters and name in case.path_parameters:
                            case.path_parameters[name] = value
                    case.cookies = {"consentry_sid": sid}
                    if case.headers and "X-CSRF-Token" in case.headers:
                        case.headers["X-CSRF-Token"] = op.csrf
                    response = case.call()
                    case.validate_response(response, checks=[not_a_server_error])
                    assert "Traceback" not in response.text, response.text[:500]

                try:
                    run()
                except Unsatisfiable:
                    continue  # nothing about this operation can be made invalid
                except Exception as exc:  # collected: one broken operation must not hide the others
                    notes = "\n".join(getattr(exc, "__notes__", []))
                    failures[f"{operation.label} [{mode.value}]"] = (
                        f"{type(exc).__name__}: {str(exc)[:800]}\n{notes[-1200:]}"
                    )
    finally:
        shutdown_lifespans()
    assert not failures, "\n\n".join(f"{k}\n{v}" for k, v in failures.items())
