"""Who may administer an organization (issue 14, AUTH0-5): its own admins only. A member who is
not an admin gets 403, another organization's admin 404 (as for a domain that does not exist),
nobody signed in 401 or the sign-in page, a write without the CSRF token 403; and the
organization never loses its last admin.
"""

from __future__ import annotations

from tests.integration.api import sign_in
from tests.integration.orgs import (
    ADMIN,
    MEMBER,
    ORG,
    ORG_API,
    OTHER_ADMIN,
    OTHER_ORG,
    admin_api,
    audit_tags,
    csrf_of,
    people,
)
from tests.support.browserless import CSRF_RE, form_value

PAGES = ("/admin", "/admin/members", "/admin/apps", "/admin/policy", "/admin/delegation", "/admin/requests")


def test_a_member_who_is_not_an_admin_gets_403(seed, app):  # AUTH0-5
    people(seed)
    member = sign_in(app, MEMBER)
    for path in PAGES:
        r = member.get(path, headers={"accept": "text/html"})
        assert r.status_code == 403, path
        assert "Only an administrator of an organization" in r.text
    r = member.get(f"{ORG_API}/apps")
    assert r.status_code == 403 and r.json()["error"] == "forbidden"
    r = member.patch(f"{ORG_API}/policy", {"unconfigured": "block"})
    assert r.status_code == 403 and r.json()["error"] == "forbidden"
    assert audit_tags(seed, "org:policy") == []


def test_another_organizations_admin_gets_404(seed, app):  # AUTH0-5
    people(seed)
    other = sign_in(app, OTHER_ADMIN)
    for method, path, body in (
        ("GET", f"{ORG_API}/apps", None),
        ("GET", f"{ORG_API}/requests", None),
        ("PATCH", f"{ORG_API}/policy", {"unconfigured": "block"}),
        ("PUT", f"{ORG_API}/members/{MEMBER}/role", {"role": "admin"}),
    ):
        r = other.write(method, path, body)
        assert r.status_code == 404 and r.json()["error"] == "not_found", path
    # The same answer as a domain nobody has: no organization's existence leaks.
    nowhere = other.get("/api/v1/orgs/nowhere.example/apps").json()
    theirs = other.get(f"{ORG_API}/apps").json()
    assert nowhere["error"] == theirs["error"] == "not_found"
    assert theirs["error_description"] == nowhere["error_description"].replace("nowhere.example", ORG)
    # Their own console is theirs.
    assert other.get(f"/api/v1/orgs/{OTHER_ORG}/apps").status_code == 200
    page = other.get("/admin")
    assert page.status_code == 200 and OTHER_ORG in page.text and ORG not in page.text.replace(OTHER_ORG, "")


def test_signed_out_and_without_csrf(seed, app, client):  # AUTH0-5
    people(seed)
    r = client.get(f"{ORG_API}/apps")
    assert r.status_code == 401 and r.json()["error"] == "unauthenticated"
    page = client.get("/admin", follow_redirects=False)
    assert page.status_code == 303 and page.headers["location"].startswith("/signin?next=%2Fadmin")
    api = admin_api(app)
    r = api.patch(f"{ORG_API}/policy", {"unconfigured": "block"}, csrf=None)
    assert r.status_code == 403 and r.json()["error"] == "csrf"
    r = api.http.post("/admin/policy", data={"csrf": "forged", "unconfigured": "block"})
    assert r.status_code == 403
    assert api.get(f"{ORG_API}/policy").json()["unconfigured"] == "allow"


def test_the_last_admin_stays(seed, app):  # AUTH0-5
    people(seed)
    api = admin_api(app)
    r = api.put(f"{ORG_API}/members/{ADMIN}/role", {"role": "user"})
    assert r.status_code == 409 and r.json()["error"] == "last_admin"
    # Name another first, then step down.
    assert api.put(f"{ORG_API}/members/{MEMBER}/role", {"role": "admin"}).status_code == 200
    r = api.put(f"{ORG_API}/members/{ADMIN}/role", {"role": "user"})
    assert r.status_code == 200 and r.json()["values"] == {"email": ADMIN, "role": "user"}
    # No longer an admin: the console is closed to them at once.
    assert api.get(f"{ORG_API}/apps").status_code == 403
    members = sign_in(app, MEMBER).get(f"{ORG_API}/members").json()["members"]
    assert {(m["email"], m["role"]) for m in members} == {(ADMIN, "user"), (MEMBER, "admin")}
    tags = [(t, a, d["email"], d["role"]) for t, a, d in audit_tags(seed, "org:member:role")]
    assert tags == [("org:member:role", ADMIN, MEMBER, "admin"), ("org:member:role", ADMIN, ADMIN, "user")]


def test_members_page_changes_roles_and_shows_refusals(seed, app):  # AUTH0-5
    people(seed)
    http = admin_api(app).http
    csrf = csrf_of(http, "/admin/members")
    r = http.post("/admin/members", data={"csrf": csrf, "email": ADMIN, "role": "user"})
    assert r.status_code == 409 and 'data-code="last_admin"' in r.text
    r = http.post(
        "/admin/members", data={"csrf": csrf, "email": MEMBER, "role": "admin"}, follow_redirects=False
    )
    assert r.status_code == 303 and r.headers["location"] == "/admin/members?done=role"
    page = http.get("/admin/members?done=role")
    assert f'data-member="{MEMBER}" data-role="admin"' in page.text and "Role changed." in page.text
    r = http.post("/admin/members", data={"csrf": csrf, "email": "nobody@corp.example", "role": "admin"})
    assert r.status_code == 404
    r = http.post("/admin/members", data={"csrf": csrf, "email": MEMBER, "role": "owner"})
    assert r.status_code == 400 and 'data-code="invalid_role"' in r.text
    assert form_value(page.text, CSRF_RE) == csrf
