"""``consentry user reset-2sv EMAIL`` and ``consentry org require-2sv DOMAIN on|off`` (ACCT-3).

The operator's way back for someone who lost every second step: the authenticator app, recovery
codes, passkeys and app passwords go, every browser signed in to the account is signed out, and
the audit log says the CLI did it. Requiring two-step of an organization makes its members without
a second step set one up at their next sign-in, and ends at once their sessions signed in with the
password alone. ``--json`` prints one object; bad input exits 2 and changes nothing.
"""

from __future__ import annotations

import json
from typing import Any

import typer
from sqlalchemy import select
from starlette.testclient import TestClient
from typer.testing import CliRunner

from consentry.cli import two_step
from consentry.domain.accounts import app_passwords
from consentry.domain.accounts.two_step_admin import require_two_step
from consentry.domain.audit.tags import Channel
from consentry.storage.tables import (
    AppPassword,
    AuditEvent,
    Organization,
    OutboxMail,
    Passkey,
    RecoveryCode,
    SessionAccount,
    TotpFactor,
    User,
)
from tests.cli.test_user_commands import cli_env
from tests.conftest import ISSUER
from tests.integration.accounts.test_two_step_account import signed_in
from tests.integration.accounts.test_two_step_signin import enrol, recovery_codes
from tests.support.browserless import Browser
from tests.support.flows import get_code


def _app() -> typer.Typer:
    """``consentry user`` / ``consentry org`` with these commands, as cli/accounts.py registers them."""
    app, user_app, org_app = typer.Typer(), typer.Typer(), typer.Typer()
    two_step.register(user_app, org_app)
    app.add_typer(user_app, name="user")
    app.add_typer(org_app, name="org")
    return app


def run(database_url: str, *args: str) -> tuple[int, str, str]:
    r = CliRunner().invoke(_app(), list(args), env=cli_env(database_url))
    if r.exception is not None and not isinstance(r.exception, SystemExit):
        raise r.exception
    return r.exit_code, r.stdout, r.stderr


def ok(database_url: str, *args: str) -> dict[str, Any]:
    code, out, err = run(database_url, *args, "--json")
    assert code == 0, f"{args} exited {code}\n{out}\n{err}"
    data = json.loads(out)
    assert isinstance(data, dict)
    return data


def refused(database_url: str, *args: str) -> dict[str, Any]:
    code, out, err = run(database_url, *args, "--json")
    assert code == 2, f"{args} exited {code}: {out} {err}"
    data = json.loads(out)
    assert set(data) == {"error", "message"} and data["message"], data
    return data


def test_reset_removes_every_second_step_and_signs_out(database_url, seed, browser: Browser):  # ACCT-3
    c = seed.client("web")
    seed.user("lost@example.org")
    seed.user("keep@example.org")
    get_code(browser, c, "lost@example.org", "openid")  # a browser signed in (before two-step)
    enrol(seed, "lost@example.org")
    recovery_codes(seed, "lost@example.org")
    enrol(seed, "keep@example.org")
    with seed.db.unit_of_work() as s:
        uid = s.scalars(select(User.id).where(User.email == "lost@example.org")).one()
        s.add(Passkey(user_id=uid, credential_id="cred-lost", public_key=b"k", name="Phone"))
    out = ok(database_url, "user", "reset-2sv", "Lost@Example.org")
    assert out == {
        "email": "lost@example.org",
        "totp_removed": True,
        "recovery_codes_removed": 10,
        "passkeys_removed": 1,
        "app_passwords_revoked": 0,
        "sessions_ended": 1,
    }
    with seed.db.unit_of_work() as s:
        assert s.scalars(select(TotpFactor.user_id).where(TotpFactor.user_id == uid)).all() == []
        assert s.scalars(select(RecoveryCode).where(RecoveryCode.user_id == uid)).all() == []
        assert s.scalars(select(Passkey)).all() == []
        assert s.scalars(select(SessionAccount).where(SessionAccount.user_id == uid)).all() == []
        assert len(s.scalars(select(TotpFactor)).all()) == 1  # the other account keeps its app
        event = s.scalars(select(AuditEvent).where(AuditEvent.tag == "user:2sv:reset")).one()
        assert event.actor == "cli" and event.data["user"] == "lost@example.org"
        assert event.data["channel"] == "cli" and event.data["passkeys_removed"] == 1
        mail = s.scalars(select(OutboxMail).where(OutboxMail.reason == "user:2sv:reset")).one()
        assert mail.recipients == ["lost@example.org"] and "two-step verification was reset" in mail.subject
    # The account signs in with its password alone now.
    again = ok(database_url, "user", "reset-2sv", "lost@example.org")
    assert again["totp_removed"] is False and again["sessions_ended"] == 0


def test_reset_of_an_unknown_user_is_refused(database_url, seed):  # ACCT-3
    seed.user("someone@example.org")
    err = refused(database_url, "user", "reset-2sv", "nobody@example.org")
    assert err["error"] == "not_found" and "nobody@example.org" in err["message"]
    with seed.db.unit_of_work() as s:
        assert s.scalars(select(AuditEvent).where(AuditEvent.tag == "user:2sv:reset")).all() == []


def test_org_require_on_and_off(database_url, seed):  # ACCT-3
    seed.user("a@strict.test", org="strict.test")
    seed.user("b@strict.test", org="strict.test")
    enrol(seed, "b@strict.test")
    out = ok(database_url, "org", "require-2sv", "STRICT.test", "on")
    assert out == {
        "domain": "strict.test",
        "require_2sv": True,
        "changed": True,
        "members_without_second_step": 1,
        "sessions_ended": 0,
    }
    assert ok(database_url, "org", "require-2sv", "strict.test", "on")["changed"] is False
    with seed.db.unit_of_work() as s:
        assert s.scalars(select(Organization.require_2sv)).one() is True
        events = s.scalars(select(AuditEvent).where(AuditEvent.tag == "org:2sv:require")).all()
        assert [e.data["changed"] for e in events] == [True, False] and events[0].actor == "cli"
    off = ok(database_url, "org", "require-2sv", "strict.test", "off")
    assert off["require_2sv"] is False and off["changed"] is True
    code, _out, _err = run(database_url, "org", "require-2sv", "strict.test", "maybe", "--json")
    assert code == 2
    err = refused(database_url, "org", "require-2sv", "nowhere.test", "on")
    assert err["error"] == "not_found"
    with seed.db.unit_of_work() as s:
        assert s.scalars(select(Organization.require_2sv)).one() is False


def test_human_output_without_json(database_url, seed):  # ACCT-3
    seed.org("plain.test")
    code, out, _err = run(database_url, "org", "require-2sv", "plain.test", "on")
    assert code == 0 and "require_2sv" in out and "True" in out


def test_domain_function_matches_the_cli(seed):  # ACCT-3
    seed.org("same.test")
    with seed.db.unit_of_work() as s:
        got = require_two_step(s, "same.test", True, actor="cli")
    assert got.require_2sv and got.changed and got.members_without_second_step == 0


def test_reset_revokes_the_app_passwords(database_url, seed):  # ACCT-3 ACCT-4
    seed.user("apps@example.org")
    enrol(seed, "apps@example.org")
    with seed.db.unit_of_work() as s:
        user = s.scalars(select(User).where(User.email == "apps@example.org")).one()
        hasher = app_passwords.hasher_for(seed.settings.secret_key)
        for name in ("Mail", "Calendar"):
            app_passwords.create(s, hasher, user, name, channel=Channel.WEB)
    out = ok(database_url, "user", "reset-2sv", "apps@example.org")
    assert out["app_passwords_revoked"] == 2 and out["totp_removed"] is True
    with seed.db.unit_of_work() as s:
        assert s.scalars(select(AppPassword)).all() == []
        revoked = s.scalars(select(AuditEvent).where(AuditEvent.tag == "user:app-password:revoke")).one()
        assert revoked.actor == "cli" and revoked.data["count"] == 2


def test_requiring_two_step_ends_password_only_sessions(database_url, seed, app, browser):  # ACCT-3
    # Members signed in with the password alone are signed out at once; a session that passed a
    # second step stays, and so does everyone outside the organization.
    seed.user("pwd@strict.test", org="strict.test")
    seed.user("mfa@strict.test", org="strict.test")
    seed.user("out@else.test", org="else.test")
    otp = enrol(seed, "mfa@strict.test")
    with TestClient(app, base_url=ISSUER) as a, TestClient(app, base_url=ISSUER) as b:
        members = Browser(a, ISSUER)
        outsider = Browser(b, ISSUER)
        signed_in(browser, "pwd@strict.test")
        signed_in(members, "mfa@strict.test", otp)
        signed_in(outsider, "out@else.test")
        out = ok(database_url, "org", "require-2sv", "strict.test", "on")
        assert out["sessions_ended"] == 1 and out["members_without_second_step"] == 1
        assert browser.get(ISSUER + "/account").status_code == 303  # asked to sign in again
        assert members.get(ISSUER + "/account").status_code == 200
        assert outsider.get(ISSUER + "/account").status_code == 200
    with seed.db.unit_of_work() as s:
        event = s.scalars(select(AuditEvent).where(AuditEvent.tag == "org:2sv:require")).one()
        assert event.data["sessions_ended"] == 1
    again = ok(database_url, "org", "require-2sv", "strict.test", "on")
    assert again["changed"] is False and again["sessions_ended"] == 0
    code, human, _err = run(database_url, "org", "require-2sv", "strict.test", "off")
    assert code == 0 and "sessions_ended" in human
