"""Organizations invite members by e-mail (ACCT-6) over HTTP and the CLI, SQLite and PostgreSQL.

An org admin invites from /account/organization; the mailed link's page creates the member in the
organization with the invited role. Revoked and used invitations are refused; an address that
has an account cannot be invited; with sign-up closed only the operator's CLI invites.
"""

from __future__ import annotations

import json

import pytest
import typer
from sqlalchemy import select, update
from starlette.testclient import TestClient
from typer.testing import CliRunner

from consentry.cli.invitations import HELP, user_invite
from consentry.domain.audit.tags import AuditTag
from consentry.storage.tables import AccountLink, Organization
from tests.conftest import ISSUER
from tests.support.accounts import (
    NEW_PASSWORD,
    age_sign_ins,
    alert,
    audit,
    csrf_of,
    link_in,
    mails,
    post,
    query,
    sign_in,
    user_row,
)
from tests.support.browserless import Browser
from tests.support.databases import SECRET

ORG = "acme.example"
ADMIN = "boss@acme.example"
MEMBER = "worker@acme.example"
INVITED = "newbie@acme.example"
INVITE = AuditTag.ORG_INVITE.value


@pytest.fixture
def invitee(other_browser: Browser) -> Browser:
    """The invited person's browser."""
    return other_browser


@pytest.fixture
def admin(seed, browser) -> Browser:
    seed.user(ADMIN, org=ORG, role="admin")
    seed.user(MEMBER, org=ORG)
    assert sign_in(browser, ADMIN).status_code == 303
    return browser


def invite(browser: Browser, email: str, role: str = "user"):
    data = {"csrf": csrf_of(browser, "/account"), "email": email, "role": role}
    return post(browser, "/account/organization/invite", data)


def accept(browser: Browser, token: str, name: str = "Nadia Newbie", password: str = NEW_PASSWORD):
    data = {"csrf": csrf_of(browser, "/password/forgot"), "token": token, "name": name}
    return post(browser, "/invite/accept", data | {"password": password, "password_again": password})


def test_an_admin_invites_and_the_invitee_joins_with_the_role(seed, admin, invitee) -> None:  # ACCT-6
    r = invite(admin, INVITED, role="admin")
    assert r.status_code == 303 and r.headers["location"] == "/account/organization?done=invited"
    page = admin.get(ISSUER + "/account/organization?done=invited")
    assert (
        page.status_code == 200 and f'data-email="{INVITED}"' in page.text and "Invitation sent" in page.text
    )
    sent = mails(seed, INVITE)
    assert [m.recipients for m in sent] == [[INVITED]] and sent[0].subject == f"Join {ORG} on Consentry"
    url, token = link_in(sent[0])
    assert url.startswith(ISSUER + "/invite/accept?token=") and "within 7 days" in sent[0].body
    assert ADMIN.split("@")[0].title() in sent[0].body  # who invited
    landing = invitee.get(url)
    assert landing.status_code == 200 and f'Join <span class="org-name">{ORG}</span>' in landing.text
    assert "an administrator of acme.example" in landing.text
    done = accept(invitee, token)
    assert done.status_code == 303 and done.headers["location"] == "/account"
    assert INVITED in invitee.get(ISSUER + "/account").text  # signed in
    user = user_row(seed, INVITED)
    assert user is not None and user.org is not None and user.org.domain == ORG and user.role == "admin"
    assert user.name == "Nadia Newbie"
    joined = audit(seed, AuditTag.ORG_JOIN.value)
    assert joined == [{"org": ORG, "email": INVITED, "role": "admin", "channel": "web", "actor": INVITED}]
    # Used: the link and the pending list are done with it.
    assert invitee.get(url).status_code == 400
    assert accept(invitee, token, password="another fine passphrase").status_code == 400
    assert f'data-email="{INVITED}"' not in admin.get(ISSUER + "/account/organization").text


def test_a_revoked_invitation_is_refused(seed, admin, invitee) -> None:  # ACCT-6
    invite(admin, INVITED)
    url, token = link_in(mails(seed, INVITE)[0])
    page = admin.get(ISSUER + "/account/organization").text
    start = page.index('action="/account/organization/invitations/') + len('action="')
    action = page[start : page.index('"', start)]
    with seed.db.unit_of_work() as s:
        stored = s.scalar(select(AccountLink.token_hash))
    assert stored is not None and stored not in action  # the page names it by an opaque key
    r = post(admin, action, {"csrf": csrf_of(admin, "/account/organization")})
    assert r.status_code == 303 and r.headers["location"] == "/account/organization?done=revoked"
    assert "No invitation is waiting to be accepted." in admin.get(ISSUER + "/account/organization").text
    landing = invitee.get(url)
    assert landing.status_code == 400 and "was revoked" in alert(landing.text)
    assert accept(invitee, token).status_code == 400 and user_row(seed, INVITED) is None
    again = post(admin, action, {"csrf": csrf_of(admin, "/account/organization")})
    assert again.status_code == 404 and "already accepted, revoked or has expired" in again.text


def test_an_admin_cannot_revoke_another_organizations_invitation(seed, admin, app) -> None:  # ACCT-6
    invite(admin, INVITED)
    page = admin.get(ISSUER + "/account/organization").text
    start = page.index('action="/account/organization/invitations/') + len('action="')
    action = page[start : page.index('"', start)]
    seed.user("chief@other.example", org="other.example", role="admin")
    with TestClient(app, base_url=ISSUER) as c:
        other = Browser(c, ISSUER)
        sign_in(other, "chief@other.example")
        r = post(other, action, {"csrf": csrf_of(other, "/account/organization")})
        assert r.status_code == 404 and 'data-code="not_found"' in r.text
    assert f'data-email="{INVITED}"' in admin.get(ISSUER + "/account/organization").text  # still pending


def test_an_address_with_an_account_cannot_be_invited(seed, admin) -> None:  # ACCT-6
    r = invite(admin, MEMBER)
    assert r.status_code == 409
    assert (
        'data-code="exists"' in r.text
        and f"An account already uses {MEMBER}: it cannot be invited." in r.text
    )
    assert f'value="{MEMBER}"' in r.text  # what was typed is kept
    assert mails(seed, INVITE) == []


def test_an_admin_cannot_learn_who_has_an_account_elsewhere(seed, admin) -> None:  # ACCT-6
    # An address with an account outside the organization gets the same answer as a new one; its
    # owner is mailed instead, and nothing they could accept is stored.
    seed.user("outsider@consumer.test")
    taken = invite(admin, "outsider@consumer.test")
    fresh = invite(admin, "nobody-yet@acme.example")
    assert taken.status_code == fresh.status_code == 303
    assert taken.headers["location"] == fresh.headers["location"]
    with seed.db.unit_of_work() as s:
        emails = set(s.scalars(select(AccountLink.email).where(AccountLink.purpose == "invite")))
    assert "outsider@consumer.test" not in emails and "nobody-yet@acme.example" in emails
    told = [m for m in mails(seed, INVITE) if "outsider@consumer.test" in m.recipients]
    assert (
        len(told) == 1 and "already has an account" in told[0].body and "/invite/accept" not in told[0].body
    )


def test_inviting_needs_a_recent_sign_in(seed, admin) -> None:  # ACCT-6
    # A browser left signed in is not enough to bring someone (perhaps an admin) into the org.
    age_sign_ins(seed, 3600)
    r = invite(admin, INVITED, role="admin")
    assert r.status_code == 303 and r.headers["location"].startswith("/signin?")
    assert "again=1" in r.headers["location"] and "organization%2Finvite" in r.headers["location"]
    with seed.db.unit_of_work() as s:
        assert s.scalar(select(AccountLink).where(AccountLink.email == INVITED)) is None
    back = admin.get(ISSUER + "/account/organization/invite")
    assert back.status_code == 303 and back.headers["location"] == "/account/organization"


def test_bad_input_is_explained_on_the_page(seed, admin) -> None:  # ACCT-6
    bad = invite(admin, "not-an-address")
    assert bad.status_code == 400 and 'data-code="invalid_email"' in bad.text
    role = invite(admin, INVITED, role="operator")
    assert role.status_code == 400 and "Role must be one of user, admin." in role.text
    forged = post(admin, "/account/organization/invite", {"csrf": "forged", "email": INVITED})
    assert forged.status_code == 403 and mails(seed, INVITE) == []


def test_a_weak_password_keeps_the_invitation(seed, admin, invitee) -> None:  # ACCT-6, ACCT-2
    invite(admin, INVITED)
    _url, token = link_in(mails(seed, INVITE)[0])
    weak = accept(invitee, token, password="short")
    assert weak.status_code == 400 and "at least 12 characters" in alert(weak.text)
    assert 'value="Nadia Newbie"' in weak.text
    assert accept(invitee, token).status_code == 303


def test_members_who_are_not_admins_cannot_invite(seed, browser) -> None:  # ACCT-6
    seed.user(MEMBER, org=ORG)
    sign_in(browser, MEMBER)
    page = browser.get(ISSUER + "/account/organization")
    assert (
        page.status_code == 403
        and "Only an administrator" in page.text
        and "<form" not in page.text.split("<main")[1]
    )
    r = post(
        browser, "/account/organization/invite", {"csrf": csrf_of(browser, "/account"), "email": INVITED}
    )
    assert r.status_code == 403 and mails(seed, INVITE) == []


def test_an_org_requiring_two_step_sends_the_new_member_to_sign_in(seed, admin, invitee) -> None:  # ACCT-6
    with seed.db.unit_of_work() as s:
        s.execute(update(Organization).where(Organization.domain == ORG).values(require_2sv=True))
    invite(admin, INVITED)
    _url, token = link_in(mails(seed, INVITE)[0])
    done = accept(invitee, token)
    assert done.status_code == 303
    assert done.headers["location"].startswith("/signin?")
    assert query(done.headers["location"]) == {"email": INVITED, "notice": "joined-2sv"}
    assert invitee.get(ISSUER + "/account").status_code == 303  # not signed in yet
    assert user_row(seed, INVITED) is not None


@pytest.mark.parametrize("signup_mode", ["closed"], indirect=True)
def test_with_signup_closed_only_the_operator_invites(seed, admin, settings, invitee) -> None:  # ACCT-6
    page = admin.get(ISSUER + "/account/organization")
    assert page.status_code == 200 and 'id="closed"' in page.text
    r = invite(admin, INVITED)
    assert r.status_code == 403 and 'data-code="signup_closed"' in r.text and mails(seed, INVITE) == []

    cli = typer.Typer()
    cli.command("invite", help=HELP)(user_invite)
    env = {
        "CONSENTRY_DATABASE_URL": settings.database_url,
        "CONSENTRY_SECRET_KEY": SECRET,
        "CONSENTRY_ISSUER": ISSUER,
        "CONSENTRY_SIGNUP": "closed",
    }
    shown = CliRunner().invoke(
        cli, [INVITED, "--org", ORG, "--role", "user", "--show-link", "--json"], env=env
    )
    assert shown.exit_code == 0, shown.output
    out = json.loads(shown.output)
    assert out["email"] == INVITED and out["org"] == ORG and out["mailed"] is False
    assert out["link"].startswith(ISSUER + "/invite/accept?token=")
    assert mails(seed, INVITE) == []  # shown, not mailed
    token = out["link"].split("token=")[1]
    assert accept(invitee, token).status_code == 303
    assert user_row(seed, INVITED) is not None

    mailed = CliRunner().invoke(cli, ["other@acme.example", "--org", ORG, "--json"], env=env)
    assert mailed.exit_code == 0 and "link" not in json.loads(mailed.output)
    assert [m.recipients for m in mails(seed, INVITE)] == [["other@acme.example"]]
    taken = CliRunner().invoke(cli, [MEMBER, "--org", ORG, "--json"], env=env)
    assert taken.exit_code == 2 and json.loads(taken.output)["error"] == "exists"
    missing = CliRunner().invoke(cli, ["x@nowhere.example", "--org", "nowhere.example", "--json"], env=env)
    assert missing.exit_code == 2 and json.loads(missing.output)["error"] == "not_found"
