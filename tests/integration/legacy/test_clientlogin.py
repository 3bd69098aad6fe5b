"""ClientLogin over HTTP (AUTH4-1..6), on SQLite and PostgreSQL, as the old client libraries spoke it.

The body is gdata's (field order, form encoding), the answer is parsed the way gdata parsed it, and
the token is used with ``Authorization: GoogleLogin auth=…`` at a data API.
"""

from __future__ import annotations

from sqlalchemy import select, update
from starlette.testclient import TestClient

from consentry.app import create_app
from consentry.domain.legacy.unregistered import PROJECT
from consentry.domain.tokens.store import Outcome as Committed
from consentry.storage.tables import Project, Token, User
from consentry.storage.tables.base import now
from tests.conftest import ISSUER
from tests.integration.legacy.clientlogin_steps import (
    ANSWER,
    PASSWORD,
    calendar,
    http,
    legacy_app,
    login,
    parsed,
    seeded,
    small,
)
from tests.support.accounts import two_step_on
from tests.support.races import client_disabled_before_commit

__all__ = ["http", "legacy_app", "seeded", "small"]  # fixtures
ADA, EVE = "ada@example.org", "nobody@example.org"


def test_success_is_sid_lsid_auth_and_the_auth_token_reads_the_calendar(http, seeded) -> None:
    # AUTH4-1, AUTH4-5
    seeded.user(ADA)
    answer = login(http, ADA)
    assert answer.status_code == 200
    assert answer.headers["content-type"].startswith("text/plain")
    assert answer.headers["cache-control"] == "no-store"
    assert [line.split("=", 1)[0] for line in answer.text.splitlines()] == ["SID", "LSID", "Auth"]
    auth = parsed(answer)["Auth"]
    assert calendar(http, f"GoogleLogin auth={auth}").status_code == 200
    assert calendar(http, f"ClientLogin auth={auth}").status_code == 200  # our own scheme name
    # Never as a bearer token, and SID/LSID open nothing.
    assert calendar(http, f"Bearer {auth}").status_code == 401
    assert calendar(http, f"GoogleLogin auth={parsed(answer)['SID']}").status_code == 401


def test_the_token_reaches_only_its_services_scopes(http, seeded) -> None:
    # AUTH4-5, AUTH0-1: service "mail" is the mail scope, not the calendar
    seeded.user(ADA)
    auth = parsed(login(http, ADA, service="mail"))["Auth"]
    refused = calendar(http, f"GoogleLogin auth={auth}")
    assert refused.status_code == 403 and "insufficient_scope" in refused.headers["www-authenticate"]
    assert (
        http.get("/data/v1/mail/messages", headers={"authorization": f"GoogleLogin auth={auth}"}).status_code
        == 200
    )


def test_wrong_password_and_unknown_account_get_the_same_answer(http, seeded) -> None:
    # AUTH4-2
    seeded.user(ADA)
    wrong, unknown = login(http, ADA, "not-the-password"), login(http, EVE)
    assert wrong.status_code == unknown.status_code == 403
    assert wrong.text == unknown.text
    assert parsed(wrong) == {"Url": f"{ISSUER}/help/legacy#clientlogin", "Error": "BadAuthentication"}


def test_malformed_requests_are_400_unknown(http, seeded) -> None:
    # AUTH4-3
    seeded.user(ADA)
    missing = http.post(
        "/accounts/ClientLogin",
        content="Email=ada%40example.org&service=cl",
        headers={"content-type": "application/x-www-form-urlencoded"},
    )
    assert missing.status_code == 400 and parsed(missing)["Error"] == "Unknown"
    as_json = http.post("/accounts/ClientLogin", json={"Email": ADA, "Passwd": PASSWORD, "service": "cl"})
    assert as_json.status_code == 400 and parsed(as_json)["Error"] == "Unknown"
    assert parsed(login(http, ADA, service="no-such-service"))["Error"] == "Unknown"
    assert login(http, ADA, accountType="WORK").status_code == 400
    in_url = http.get("/accounts/ClientLogin", params={"Email": ADA, "Passwd": PASSWORD})
    assert in_url.status_code == 405 and in_url.headers["allow"] == "POST"


def test_two_step_accounts_need_an_app_password(http, seeded, small) -> None:
    # AUTH4 + ACCT-4: the real password answers InvalidSecondFactor; an app password works, and
    # revoking it ends the token it got
    from consentry.domain.accounts import app_passwords
    from consentry.domain.audit.tags import Channel

    seeded.user(ADA)
    two_step_on(seeded, ADA)
    refused = login(http, ADA)
    assert refused.status_code == 403
    assert refused.text.splitlines()[1:] == ["Error=BadAuthentication", "Info=InvalidSecondFactor"]
    with seeded.db.unit_of_work() as s:
        user = s.scalar(select(User).where(User.email == ADA))
        made = app_passwords.create(
            s, app_passwords.hasher_for(small.secret_key), user, "Calendar sync", channel=Channel.WEB
        )
    answer = login(http, ADA, made.password.upper())  # typed with spaces and capitals: still fine
    assert answer.status_code == 200, answer.text
    auth = parsed(answer)["Auth"]
    assert calendar(http, f"GoogleLogin auth={auth}").status_code == 200
    with seeded.db.unit_of_work() as s:
        app_passwords.revoke(s, user.id, made.row.id, actor=ADA, channel=Channel.WEB)
    assert calendar(http, f"GoogleLogin auth={auth}").status_code == 401
    assert login(http, ADA, made.password).status_code == 403


def test_a_wrong_app_password_on_a_two_step_account_is_just_bad_authentication(http, seeded) -> None:
    # AUTH4-2: only the right password learns the account has two-step verification
    seeded.user(ADA)
    two_step_on(seeded, ADA)
    assert parsed(login(http, ADA, "abcd efgh ijkl mnop")) == parsed(login(http, EVE))


def test_a_new_password_ends_clientlogin_tokens(http, seeded) -> None:
    # PLATFORM_RULES §3: only a password change invalidates a ClientLogin token
    from consentry.domain.accounts import service

    seeded.user(ADA)
    auth = parsed(login(http, ADA))["Auth"]
    with seeded.db.unit_of_work() as s:
        service.set_password(s, ADA, "lantern orbit pickle gravel")
    assert calendar(http, f"GoogleLogin auth={auth}").status_code == 401


def test_captcha_after_repeated_failures_whether_or_not_the_account_exists(http, seeded) -> None:
    # AUTH4-4: CaptchaRequired with a token and a real picture; a locked state reveals nothing
    seeded.user(ADA)
    answers = {}
    for email in (ADA, EVE):
        for _ in range(3):
            assert parsed(login(http, email, "wrong-password"))["Error"] == "BadAuthentication"
        answers[email] = login(http, email, PASSWORD if email == ADA else "x")
    for answer in answers.values():
        assert answer.status_code == 403
        fields = parsed(answer)
        assert fields["Error"] == "CaptchaRequired"
        assert fields["CaptchaUrl"] == f"Captcha?ctoken={fields['CaptchaToken']}"
        assert fields["Url"] == f"{ISSUER}/accounts/DisplayUnlockCaptcha"
    assert {k for k in parsed(answers[ADA])} == {k for k in parsed(answers[EVE])}
    picture = http.get("/accounts/" + parsed(answers[ADA])["CaptchaUrl"])
    assert picture.status_code == 200 and picture.headers["content-type"] == "image/png"
    assert picture.content.startswith(b"\x89PNG\r\n\x1a\n")


def test_the_captcha_retry_checks_the_answer_and_then_the_password(http, seeded) -> None:
    # AUTH4-4: logintoken + logincaptcha; a login can still fail after a right CAPTCHA
    seeded.user(ADA)
    for _ in range(3):
        login(http, ADA, "wrong-password")
    token = parsed(login(http, ADA))["CaptchaToken"]
    wrong = login(http, ADA, logintoken=token, logincaptcha="NOPE42")
    assert parsed(wrong)["Error"] == "CaptchaRequired" and parsed(wrong)["CaptchaToken"] != token
    token = parsed(wrong)["CaptchaToken"]
    still_wrong = login(http, ADA, "wrong-password", logintoken=token, logincaptcha=ANSWER.lower())
    assert parsed(still_wrong)["Error"] == "BadAuthentication"
    token = parsed(login(http, ADA))["CaptchaToken"]
    assert login(http, ADA, logintoken=token, logincaptcha=ANSWER).status_code == 200
    # A challenge is single-use, and its picture is gone with it.
    assert parsed(login(http, ADA, logintoken=token, logincaptcha=ANSWER))["Error"] == "CaptchaRequired"
    assert http.get("/accounts/Captcha", params={"ctoken": token}).status_code == 404


def test_account_type_hosted_and_google(http, seeded) -> None:
    # AUTH4-6
    seeded.user(ADA)
    seeded.user("cy@corp.example", org="corp.example")
    assert login(http, ADA, accountType="GOOGLE").status_code == 200
    assert parsed(login(http, ADA, accountType="HOSTED"))["Error"] == "BadAuthentication"
    assert login(http, "cy@corp.example", accountType="HOSTED").status_code == 200
    assert parsed(login(http, "cy@corp.example", accountType="GOOGLE"))["Error"] == "BadAuthentication"
    assert login(http, "cy@corp.example").status_code == 200  # HOSTED_OR_GOOGLE


def test_a_disabled_account_is_told_only_with_its_password(http, seeded) -> None:
    # AUTH4-2: AccountDisabled after the right password; the wrong one learns nothing
    seeded.user(ADA)
    with seeded.db.unit_of_work() as s:
        s.execute(update(User).where(User.email == ADA).values(disabled=True))
    assert parsed(login(http, ADA))["Error"] == "AccountDisabled"
    assert parsed(login(http, ADA, "wrong-password")) == parsed(login(http, EVE))


def test_the_policy_gate_refuses_a_suspended_app(http, seeded) -> None:
    # Issue 15 "Everywhere": a legacy protocol is never a back door past the gate
    seeded.user(ADA)
    assert login(http, ADA).status_code == 200  # creates the built-in app
    with seeded.db.unit_of_work() as s:
        s.execute(
            update(Project)
            .where(Project.name == PROJECT)
            .values(suspended_at=now(), suspended_reason="abuse")
        )
    http.app.state.runtime.client_cache.drop("clientlogin")
    refused = login(http, ADA)
    assert refused.status_code == 403 and parsed(refused)["Error"] == "ServiceDisabled"


def test_the_unverified_app_cap_counts_clientlogin_users(seeded, small) -> None:
    # VERIFY-11 through ClientLogin: the built-in app is unverified; its user cap applies
    seeded.user(ADA)
    seeded.user("bo@example.org")
    app = create_app(small.model_copy(update={"unverified_user_cap": 1}))
    with TestClient(app, base_url=ISSUER) as http:
        assert login(http, ADA).status_code == 200
        assert login(http, ADA).status_code == 200  # counted once, always welcome back
        refused = login(http, "bo@example.org")
    assert refused.status_code == 403 and parsed(refused)["Error"] == "ServiceDisabled"


def test_every_answer_is_marked_deprecated(http, seeded) -> None:
    # Issue 15: Deprecation (RFC 9745) and Sunset (RFC 8594) with a link to the migration guide
    answer = login(http, EVE)
    assert answer.headers["deprecation"] == "@1334880000"
    assert answer.headers["sunset"] == "Fri, 31 Dec 2027 00:00:00 GMT"
    assert (
        answer.headers["link"] == f'<{ISSUER}/help/legacy#clientlogin>; rel="deprecation"; type="text/html"'
    )


def test_tokens_are_stored_hashed_and_bound_to_user_and_service(http, seeded, database_url) -> None:
    # AUTH0-3: stored by keyed hash, tracked per user, app and scopes
    seeded.user(ADA)
    auth = parsed(login(http, ADA))["Auth"]
    with seeded.db.unit_of_work() as s:
        row = s.execute(select(Token.access_hash, Token.scope, Token.grant_type)).one()
    assert auth not in row.access_hash and row.grant_type == "legacy:clientlogin"
    assert row.scope == f"{ISSUER}/auth/calendar"


def test_a_legacy_token_is_never_an_oauth2_token_whatever_prefix_is_added(http, seeded) -> None:
    # AUTH0-4 + security review: no OAuth 2.0 endpoint finds a legacy token, however it is dressed
    seeded.user(ADA)
    auth = parsed(login(http, ADA))["Auth"]
    for presented in (auth, f"clientlogin:{auth}", f"legacy:clientlogin:{auth}"):
        info = http.post("/tokeninfo", data={"access_token": presented})
        assert info.status_code == 400 and info.json()["error"] == "invalid_token", presented
        assert http.get("/userinfo", headers={"authorization": f"Bearer {presented}"}).status_code == 401


def test_ten_live_tokens_per_app_and_one_apps_eleventh_never_ends_anothers(http, seeded) -> None:
    # AUTH0-3: at most ten live per user and app (told apart by source on the shared ClientLogin app)
    seeded.user(ADA)
    other = parsed(login(http, ADA, source="Acme-Mailer-2.0"))["Auth"]
    first = parsed(login(http, ADA))["Auth"]
    for _ in range(10):
        assert login(http, ADA).status_code == 200
    assert calendar(http, f"GoogleLogin auth={first}").status_code == 401  # the oldest of eleven
    assert calendar(http, f"GoogleLogin auth={other}").status_code == 200
    with seeded.db.unit_of_work() as s:
        live = s.scalars(select(Token.id).where(Token.revoked_at.is_(None))).all()
    assert len(live) == 11  # ten of Gulp-CalGulp, one of Acme-Mailer


def test_data_api_answers_to_a_legacy_credential_are_marked_deprecated(http, seeded) -> None:
    # Issue 15: every legacy answer carries Deprecation and Sunset, data APIs included
    seeded.user(ADA)
    auth = parsed(login(http, ADA))["Auth"]
    answer = calendar(http, f"GoogleLogin auth={auth}")
    assert answer.status_code == 200 and answer.headers["deprecation"] == "@1334880000"
    assert "sunset" in answer.headers
    assert "deprecation" not in calendar(http, "Bearer nothing").headers


def test_no_developer_can_own_the_built_in_project(seeded) -> None:
    # Security review: the project standing for unregistered apps is the operator's alone
    import pytest

    from consentry.domain.clients.service import create_project
    from consentry.errors import DomainError

    seeded.user(ADA)
    with seeded.db.unit_of_work() as s, pytest.raises(DomainError) as refused:
        create_project(s, "unregistered LEGACY apps", s.scalar(select(User).where(User.email == ADA)))
    assert refused.value.code == "exists"


def test_a_source_no_column_can_hold_is_a_clean_refusal_and_stores_nothing(http, seeded) -> None:
    # AUTH4-3, ISSUE-10: a NUL would fail every request sharing the token store's batch on
    # PostgreSQL: the app reads ClientLogin's own refusal, never a 500, and nothing is written.
    seeded.user(ADA)
    answer = login(http, ADA, source="Acme\x00Mailer")
    assert answer.status_code == 400 and parsed(answer)["Error"] == "Unknown"
    with seeded.db.unit_of_work() as s:
        assert s.scalars(select(Token.id)).all() == []
    assert login(http, ADA).status_code == 200  # the next one is served as ever


def test_the_builtin_app_changed_while_signing_in_is_service_unavailable_and_issues_nothing(
    http, legacy_app, seeded
) -> None:
    # AUTH4-2 (ISSUE-10: the token commits with the client snapshot it relied on): an operator turned
    # the built-in ClientLogin app off between the password check and the commit.
    seeded.user(ADA)
    with client_disabled_before_commit(legacy_app, seeded.db) as outcomes:
        answer = login(http, ADA)
    assert outcomes == [Committed.CLIENT_CHANGED]
    assert answer.status_code == 503 and answer.headers["content-type"].startswith("text/plain")
    assert parsed(answer)["Error"] == "ServiceUnavailable"
    with seeded.db.unit_of_work() as s:
        uid = s.scalar(select(User.id).where(User.email == ADA))
        assert s.scalar(select(Token.id).where(Token.user_id == uid)) is None
