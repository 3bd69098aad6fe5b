"""Purging dead rows and the janitor, on SQLite and PostgreSQL.

# issue 4: tables stay bounded. No requirement id names this; the retention rules are in
src/consentry/domain/maintenance/rules.py and docs/maintenance.md. Most tests pass ``now`` to
purge, a fixed instant T, and date the rows around it.
"""

from __future__ import annotations

import threading
import time
from itertools import count
from typing import Any

import pytest
from sqlalchemy import func, select, update

from consentry.domain.maintenance import purge, start_janitor
from consentry.domain.maintenance.janitor import Janitor
from consentry.domain.maintenance.purge import PurgeReport
from consentry.storage.tables import (
    AccountLink,
    AuthorizationCode,
    BrowserSession,
    CaptchaChallenge,
    Client,
    DeviceCode,
    Interaction,
    OutboxMail,
    RateCounter,
    SessionAccount,
    SigninStep,
    Token,
    TrustedDevice,
    UsedAssertion,
    User,
)
from tests.conftest import ISSUER
from tests.support.flows import tokens_for
from tests.support.seed import Seeder

GRACE = 3600
DAY = 86_400
T = 2_000_000_000  # "now" for purge: rows are dated relative to it
_n = count()


def token(client_pk: int, *, expires: int, refresh_expires: int | None = None, **fields: Any) -> Token:
    """A token row as tokens.service.store writes it, dated by hand."""
    n = next(_n)
    return Token(
        access_hash=f"{n:064x}",
        refresh_hash=f"{n:063x}r" if refresh_expires else None,
        client_pk=client_pk,
        scope="openid",
        grant_type="authorization_code",
        issued_at=expires - 3600,
        expires_at=expires,
        refresh_expires_at=refresh_expires,
        family=f"f{n}",
        purge_after=max(expires, refresh_expires or 0),
        **fields,
    )


def code(client_pk: int, user_id: int, *, expires: int, used: int | None = None) -> AuthorizationCode:
    return AuthorizationCode(
        code_hash=f"c{next(_n):063x}",
        client_pk=client_pk,
        user_id=user_id,
        family="f",
        expires_at=expires,
        used_at=used,
    )


def hashes(seed: Seeder, column: Any) -> set[Any]:
    with seed.db.unit_of_work() as s:
        return set(s.scalars(select(column)))


def test_purge_deletes_exactly_the_dead_rows(seed: Seeder) -> None:
    # issue 4: table stays bounded, while nothing still usable (or replayable) is lost
    c = seed.client("service")
    seed.user("u@example.org")
    dead_before = T - GRACE  # last possible use earlier than this: dead
    month = 30 * DAY
    extras = {name: seed.client("service", project=f"purge {name}").pk for name in ("restorable", "gone")}
    with seed.db.unit_of_work() as s:
        uid = s.scalar(select(User.id).where(User.email == "u@example.org"))
        assert uid is not None
        keep = [
            token(c.pk, expires=T + 600, refresh_expires=T + 30 * DAY),  # live
            token(c.pk, expires=T - 600),  # expired, but within the grace
            # Rotated: its access token is long dead, but replaying its refresh token must still
            # be caught as reuse until the refresh token expires (RFC 9700 4.14.2).
            token(c.pk, expires=T - 2 * DAY, refresh_expires=T + 30 * DAY, rotated_at=T - 2 * DAY),
            # ...also once the reuse has revoked its family.
            token(
                c.pk,
                expires=T - 2 * DAY,
                refresh_expires=T + 30 * DAY,
                rotated_at=T - 2 * DAY,
                revoked_at=T - DAY,
            ),
            token(c.pk, expires=T + 600, refresh_expires=T + 30 * DAY, revoked_at=T - 60),  # just revoked
        ]
        gone = [
            token(c.pk, expires=dead_before - 1),  # access-only, expired
            token(c.pk, expires=T - 30 * DAY, refresh_expires=dead_before - 1),  # refresh expired too
            token(c.pk, expires=T + 600, refresh_expires=T + 30 * DAY, revoked_at=dead_before - 1),
            token(c.pk, expires=T - 30 * DAY, refresh_expires=T - 2 * DAY, rotated_at=T - 29 * DAY),
        ]
        s.add_all(keep + gone)
        s.add_all(
            [
                code(c.pk, uid, expires=T + 60, used=T - 10),  # used, but a replay must still revoke
                code(c.pk, uid, expires=T - 60),  # expired within the grace
                code(c.pk, uid, expires=dead_before - 1, used=T - 2 * GRACE),
                code(c.pk, uid, expires=dead_before - 1),
            ]
        )
        for i, expires in enumerate((T + 60, dead_before - 1, dead_before - 1)):
            s.add(
                DeviceCode(
                    device_code_hash=f"d{i}", user_code_hash=f"u{i}", client_pk=c.pk, expires_at=expires
                )
            )
        s.add_all(
            [
                Interaction(id_hash="i-live", params={}, session_hash="s", expires_at=T + 60),
                Interaction(id_hash="i-dead", params={}, session_hash="s", expires_at=dead_before - 1),
                BrowserSession(id_hash="s-live", expires_at=T + DAY),
                BrowserSession(id_hash="s-dead", expires_at=dead_before - 1),
                # Authlib accepts an assertion up to 60 s past its exp: its jti must outlive that.
                UsedAssertion(jti_hash="j-leeway", expires_at=dead_before - 30),
                UsedAssertion(jti_hash="j-dead", expires_at=dead_before - 61),
                RateCounter(key="r-live", count=3, window_start=T - 60, expires_at=T + 60),
                # Backoff pushed this one's window past its start: expiry alone decides.
                RateCounter(
                    key="r-dead", count=9, window_start=dead_before - DAY, expires_at=dead_before - 1
                ),
                CaptchaChallenge(id_hash="c-live", answer_hash="a", expires_at=T + 60),
                CaptchaChallenge(id_hash="c-dead", answer_hash="a", expires_at=dead_before - 1),
                SigninStep(id_hash="st-live", session_hash="s", purpose="second_step", expires_at=T + 60),
                SigninStep(
                    id_hash="st-dead", session_hash="s", purpose="second_step", expires_at=dead_before - 1
                ),
                AccountLink(token_hash="l-live", purpose="reset", email="a@x.org", expires_at=T + 60),
                AccountLink(
                    token_hash="l-dead",
                    purpose="reset",
                    email="a@x.org",
                    expires_at=dead_before - 1,
                    used_at=T,
                ),
            ]
        )
        s.flush()
        s.add_all(
            [
                SessionAccount(session_hash="s-live", user_id=uid),
                SessionAccount(session_hash="s-dead", user_id=uid),
                TrustedDevice(device_hash="d-live", user_id=uid, expires_at=T + DAY),
                TrustedDevice(device_hash="d-dead", user_id=uid, expires_at=dead_before - 1),
            ]
        )
        kept_ids = {t.id for t in keep}
        # A deleted client can be restored for 30 days; then it goes, with its tokens (issue 11).
        for name, deleted in (("restorable", dead_before - month + 1), ("gone", dead_before - month - 1)):
            s.execute(
                update(Client).where(Client.id == extras[name]).values(deleted_at=deleted, disabled=True)
            )
        # Delivered mail stays a month for the operator; undelivered mail is never purged (issue 11).
        for i, sent in enumerate((None, dead_before - month + 1, dead_before - month - 1)):
            s.add(
                OutboxMail(
                    message_id=f"<m{i}@test>",
                    recipients=["a@example.org"],
                    subject="s",
                    body="b",
                    created_at=dead_before - 2 * month,
                    next_attempt_at=0,
                    sent_at=sent,
                )
            )
    counted = purge(seed.db, grace=GRACE, now=T, dry_run=True)
    report = purge(seed.db, grace=GRACE, now=T)

    expected = {
        "tokens": 4,
        "authorization_codes": 2,
        "device_codes": 2,
        "interactions": 1,
        "browser_sessions": 1,
        "used_assertions": 1,
        "rate_counters": 1,
        "captcha_challenges": 1,
        "trusted_devices": 1,
        "signin_steps": 1,
        "account_links": 1,
        # Legacy protocols and organizations: nothing of theirs was made dead here.
        "legacy_requests": 0,
        "legacy_nonces": 0,
        "clientlogin_unlocks": 0,
        "gadget_tokens": 0,
        "access_requests": 0,
        "outbox_mail": 1,
        "clients": 1,
    }
    assert counted.tables == expected and counted.dry_run
    assert report.tables == expected and report.deleted == 18 and report.complete
    assert hashes(seed, Token.id) == kept_ids
    assert len(hashes(seed, AuthorizationCode.code_hash)) == 2
    assert hashes(seed, DeviceCode.device_code_hash) == {"d0"}
    assert hashes(seed, Interaction.id_hash) == {"i-live"}
    assert hashes(seed, BrowserSession.id_hash) == {"s-live"}
    assert hashes(seed, SessionAccount.session_hash) == {"s-live"}  # cascaded with its session
    assert hashes(seed, UsedAssertion.jti_hash) == {"j-leeway"}
    assert hashes(seed, RateCounter.key) == {"r-live"}
    assert hashes(seed, CaptchaChallenge.id_hash) == {"c-live"}
    assert hashes(seed, TrustedDevice.device_hash) == {"d-live"}
    assert hashes(seed, SigninStep.id_hash) == {"st-live"}
    assert hashes(seed, AccountLink.token_hash) == {"l-live"}
    assert hashes(seed, OutboxMail.message_id) == {"<m0@test>", "<m1@test>"}
    assert {n for n in hashes(seed, Client.name) if n.startswith("purge")} == {"purge restorable (service)"}
    # A second run finds nothing: purges are idempotent.
    assert purge(seed.db, grace=GRACE, now=T).deleted == 0


def test_rotated_refresh_token_replay_is_still_reuse_after_a_purge(seed: Seeder, browser, client) -> None:
    # issue 4: table stays bounded without weakening refresh-token reuse detection (RFC 9700 4.14)
    c = seed.client("web")
    seed.user("u@example.org")
    t1 = tokens_for(
        browser, client, c, "u@example.org", f"openid {ISSUER}/auth/mail.readonly", access_type="offline"
    )
    auth = (c.client_id, c.client_secret)
    r2 = client.post(
        "/token", data={"grant_type": "refresh_token", "refresh_token": t1["refresh_token"]}, auth=auth
    )
    assert r2.status_code == 200, r2.text
    # Two hours on, with no grace: the first access token has expired, its row was rotated.
    report = purge(seed.db, grace=0, now=int(time.time()) + 7200)
    assert report.tables["tokens"] == 0
    replay = client.post(
        "/token", data={"grant_type": "refresh_token", "refresh_token": t1["refresh_token"]}, auth=auth
    )
    assert replay.json()["error"] == "invalid_grant"
    # Recognised as reuse, not as an unknown token: the whole family was revoked.
    intro = client.post("/introspect", data={"token": r2.json()["access_token"]}, auth=auth)
    assert intro.json() == {"active": False}


def _dead_tokens(seed: Seeder, n: int) -> None:
    c = seed.client("service")
    with seed.db.unit_of_work() as s:
        s.add_all(token(c.pk, expires=T - 2 * GRACE) for _ in range(n))
        s.add(token(c.pk, expires=T + 600))  # one live row


def _tokens_left(seed: Seeder) -> int:
    with seed.db.unit_of_work() as s:
        return int(s.scalar(select(func.count()).select_from(Token)) or 0)


def test_batches_are_bounded(seed: Seeder) -> None:
    # issue 4: a big purge is many small transactions
    _dead_tokens(seed, 10)
    batches: list[tuple[str, int]] = []
    report = purge(seed.db, grace=GRACE, batch=3, now=T, on_batch=lambda t, n: batches.append((t, n)))
    assert batches == [("tokens", 3), ("tokens", 3), ("tokens", 3), ("tokens", 1)]
    assert report.tables["tokens"] == 10 and _tokens_left(seed) == 1


def test_stop_between_batches_keeps_what_was_done(seed: Seeder) -> None:
    _dead_tokens(seed, 10)
    seen: list[int] = []
    report = purge(
        seed.db,
        grace=GRACE,
        batch=4,
        now=T,
        on_batch=lambda _t, n: seen.append(n),
        should_stop=lambda: bool(seen),
    )
    assert not report.complete and report.deleted == 4 and _tokens_left(seed) == 7


def test_concurrent_purges_are_harmless(seed: Seeder) -> None:
    # issue 4: every server worker runs a janitor; overlapping purges must neither fail nor double count
    _dead_tokens(seed, 40)
    reports: list[PurgeReport] = []
    errors: list[BaseException] = []

    def run() -> None:
        try:
            reports.append(purge(seed.db, grace=GRACE, batch=2, now=T))
        except BaseException as exc:  # reported below
            errors.append(exc)

    threads = [threading.Thread(target=run) for _ in range(3)]
    for th in threads:
        th.start()
    for th in threads:
        th.join(60)
    assert not errors
    assert sum(r.tables["tokens"] for r in reports) == 40 and _tokens_left(seed) == 1


def test_bad_arguments_are_refused(seed: Seeder) -> None:
    with pytest.raises(ValueError, match="grace"):
        purge(seed.db, grace=-1)
    with pytest.raises(ValueError, match="batch"):
        purge(seed.db, batch=0)


def _wait_for(condition: Any, timeout: float = 10.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.05)
    return condition()


def test_janitor_purges_every_interval_and_stops_quickly(seed: Seeder) -> None:
    # issue 4: with the janitor on, nobody has to schedule anything
    c = seed.client("service")
    with seed.db.unit_of_work() as s:
        s.add_all(token(c.pk, expires=int(time.time()) - 10) for _ in range(5))
        s.add(token(c.pk, expires=int(time.time()) + 600))
    janitor = start_janitor(seed.db, 1, grace=0)
    try:
        assert janitor.running
        assert _wait_for(lambda: _tokens_left(seed) == 1), "the janitor did not purge within 10 s"
    finally:
        started = time.monotonic()
        janitor.stop()
    assert time.monotonic() - started < 2 and not janitor.running


def test_janitor_survives_a_failing_purge() -> None:
    calls: list[int] = []

    def run(_should_stop: Any) -> PurgeReport:
        calls.append(1)
        if len(calls) == 1:
            raise RuntimeError("database went away")
        return PurgeReport()

    janitor = Janitor(run, 1)
    try:
        assert _wait_for(lambda: janitor.runs >= 1), "no purge after the failed one"
        assert janitor.running
    finally:
        janitor.stop()
    assert len(calls) >= 2 and not janitor.running


def test_janitor_interval_zero_starts_nothing(seed: Seeder) -> None:
    janitor = start_janitor(seed.db, 0)
    assert not janitor.running
    janitor.stop()
