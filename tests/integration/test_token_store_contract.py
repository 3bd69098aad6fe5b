"""The token-store contract (``domain/tokens/store.py``) against BatchedTokenStore, on both engines.

Every test builds its own store on the seeded database, drives it with the helpers of
``tests/support/token_store.py`` (several operations gathered in one coroutine share one batch) and
reads the outcome back with SQLAlchemy.
"""

from __future__ import annotations

from contextlib import closing
from typing import Any

import pytest
from sqlalchemy import delete, select, update

from consentry.domain.audit import record as audit_record
from consentry.domain.audit import verify_chain
from consentry.domain.clients.snapshot import ClientSnapshot
from consentry.domain.secrets import new_family
from consentry.domain.tokens.store import (
    AssertionClaim,
    AuditEntry,
    Changes,
    CodeClaim,
    DevicePoll,
    Lookup,
    Outcome,
    RefreshClaim,
)
from consentry.storage.repositories import token_batches
from consentry.storage.repositories.token_batches import insert_tokens
from consentry.storage.tables import (
    AccessRequest,
    AuditEvent,
    AuthorizationCode,
    BrowserSession,
    Client,
    ConsentGrant,
    DeviceCode,
    Organization,
    OrgAppAccess,
    Project,
    SessionAccount,
    Token,
    UsedAssertion,
    User,
)
from consentry.storage.tables.base import now
from consentry.storage.token_mints import mints_only
from consentry.storage.token_store import BatchedTokenStore
from tests.support.seed import SeededClient, Seeder
from tests.support.token_store import (
    ACCESS,
    BOTH,
    REFRESH,
    audit_tags,
    code_row,
    commit,
    count,
    device_row,
    hasher,
    insert_code,
    insert_device,
    insert_token,
    lookup,
    token_by_access,
    token_row,
    tokens_of,
    user_id,
)


# --- lookups --------------------------------------------------------------------------------
def test_lookup_client_by_client_id(seed):
    # ISSUE-10 token store: a client is read by client_id as a full snapshot, redirect URIs a tuple.
    with closing(BatchedTokenStore(seed.db)) as store:
        web = seed.client("web", redirect_uris=["https://a.example.org/cb", "https://b.example.org/cb"])
        svc = seed.client("service", status="testing")
        found_web, found_svc, missing = lookup(
            store,
            Lookup(client_id=web.client_id),
            Lookup(client_id=svc.client_id),
            Lookup(client_id="nobody"),
        )
        snap = found_web.client
        assert snap is not None
        assert (snap.id, snap.client_id, snap.client_type, snap.disabled) == (
            web.pk,
            web.client_id,
            "web",
            False,
        )
        assert snap.redirect_uris == ("https://a.example.org/cb", "https://b.example.org/cb")
        assert snap.project_status == "production"
        assert snap.secret_hash and snap.secret_hash == hasher.hash(web.client_secret or "")
        with seed.db.unit_of_work() as s:
            row = s.get(Client, web.pk)
            assert row is not None
            assert (snap.project_id, snap.name, snap.access_token_format) == (
                row.project_id,
                row.name,
                row.access_token_format,
            )
            project = s.get(Project, row.project_id)
            assert project is not None and snap.project_name == project.name
        assert found_svc.client is not None
        assert found_svc.client.client_type == "service" and found_svc.client.project_status == "testing"
        assert found_svc.client.redirect_uris == ()
        assert missing.client is None


def test_lookup_token_by_access_and_by_refresh_hash(seed):
    # ISSUE-10 token store: a token is found by its access or refresh key, only in the columns asked,
    # with its owner client and user.
    with closing(BatchedTokenStore(seed.db)) as store:
        web = seed.client("web")
        seed.user("alice@example.org")
        uid = user_id(seed, "alice@example.org")
        family = new_family()
        access, refresh, row = token_row(web.pk, uid, family)
        assert refresh is not None
        token_id = insert_token(seed, row)

        by_access, by_refresh, wrong_column, both = lookup(
            store,
            Lookup(token_hash=hasher.token_key(access), token_kinds=ACCESS),
            Lookup(token_hash=hasher.token_key(refresh), token_kinds=REFRESH),
            Lookup(token_hash=hasher.token_key(access), token_kinds=REFRESH),
            Lookup(token_hash=hasher.token_key(refresh), token_kinds=BOTH),
        )
        assert set(by_access.tokens) == {"access_token"} and set(by_refresh.tokens) == {"refresh_token"}
        assert wrong_column.tokens == {}
        assert set(both.tokens) == {"refresh_token"}
        for record in (by_access.tokens["access_token"], by_refresh.tokens["refresh_token"]):
            assert record.id == token_id and record.family == family
            assert record.access_hash == hasher.token_key(access)
            assert record.refresh_hash == hasher.token_key(refresh)
            assert (record.client_pk, record.owner_client_id, record.owner_disabled) == (
                web.pk,
                web.client_id,
                False,
            )
            assert (record.user_id, record.user_email, record.user_disabled) == (
                uid,
                "alice@example.org",
                False,
            )
            assert record.user_sub and record.rotated_at is None and record.revoked_at is None

        # The owner's and user's current state is what the lookup reports.
        with seed.db.unit_of_work() as s:
            s.execute(update(Client).where(Client.id == web.pk).values(disabled=True))
            s.execute(update(User).where(User.id == uid).values(disabled=True))
        (after,) = lookup(store, Lookup(token_hash=hasher.token_key(access), token_kinds=ACCESS))
        assert after.tokens["access_token"].owner_disabled
        assert after.tokens["access_token"].user_disabled


def test_token_record_flags_are_booleans_on_both_engines(seed):
    # ISSUE-10 token store: a TokenRecord has the same shape on every engine: its flags are bool.
    with closing(BatchedTokenStore(seed.db)) as store:
        web = seed.client("web")
        seed.user("abe@example.org")
        uid = user_id(seed, "abe@example.org")
        access, _refresh, row = token_row(web.pk, uid, new_family())
        insert_token(seed, row)
        (found,) = lookup(store, Lookup(token_hash=hasher.token_key(access), token_kinds=ACCESS))
        record = found.tokens["access_token"]
        assert record.owner_disabled is False and record.user_disabled is False


def test_lookup_service_token_has_no_user(seed):
    # ISSUE-10 token store: a client-credentials token has an owner client and no user fields.
    with closing(BatchedTokenStore(seed.db)) as store:
        svc = seed.client("service")
        access, _refresh, row = token_row(
            svc.pk, None, new_family(), refresh=False, grant_type="client_credentials"
        )
        insert_token(seed, row)
        (found,) = lookup(store, Lookup(token_hash=hasher.token_key(access), token_kinds=ACCESS))
        record = found.tokens["access_token"]
        assert record.owner_client_id == svc.client_id and record.refresh_hash is None
        assert (record.user_id, record.user_sub, record.user_email, record.user_disabled) == (
            None,
            None,
            None,
            None,
        )


def test_lookup_code_with_its_user(seed):
    # ISSUE-10 token store: an authorization code is read with the user it was issued to.
    with closing(BatchedTokenStore(seed.db)) as store:
        web = seed.client("web")
        sub = seed.user("bob@example.org")
        uid = user_id(seed, "bob@example.org")
        family = new_family()
        code, row = code_row(web, uid, family, nonce="n-1")
        insert_code(seed, row)
        (found, missing) = lookup(
            store, Lookup(code_hash=hasher.hash(code)), Lookup(code_hash=hasher.hash("nope"))
        )
        record = found.code
        assert record is not None and missing.code is None
        assert (record.code_hash, record.client_pk, record.family) == (hasher.hash(code), web.pk, family)
        assert (record.redirect_uri, record.scope, record.nonce, record.offline) == (
            web.redirect_uris[0],
            "openid email",
            "n-1",
            True,
        )
        assert record.used_at is None and record.code_challenge_method == "S256"
        assert (record.user.id, record.user.sub, record.user.email, record.user.disabled) == (
            uid,
            sub,
            "bob@example.org",
            False,
        )


def test_lookup_device_code(seed):
    # ISSUE-10 token store: a device code is read with its owner client and, once approved, the user.
    with closing(BatchedTokenStore(seed.db)) as store:
        dev = seed.client("device")
        seed.user("carol@example.org")
        uid = user_id(seed, "carol@example.org")
        approved = insert_device(seed, device_row(dev, uid, "approved"))
        pending = insert_device(seed, device_row(dev, None, "pending"))
        a, p, missing = lookup(
            store,
            Lookup(device_hash=approved),
            Lookup(device_hash=pending),
            Lookup(device_hash=hasher.hash("x")),
        )
        assert a.device is not None and p.device is not None and missing.device is None
        assert (a.device.device_code_hash, a.device.client_pk, a.device.owner_client_id) == (
            approved,
            dev.pk,
            dev.client_id,
        )
        assert (a.device.status, a.device.granted_scope, a.device.interval, a.device.last_poll_at) == (
            "approved",
            "openid",
            5,
            None,
        )
        assert a.device.user is not None and a.device.user.email == "carol@example.org"
        assert p.device.status == "pending" and p.device.user is None


def test_lookup_session_accounts_and_their_consents(seed):
    # ISSUE-10 token store: a live session's enabled accounts, newest sign-in first, with each one's
    # consent to the asked client; an expired session has no accounts.
    with closing(BatchedTokenStore(seed.db)) as store:
        web = seed.client("web")
        other = seed.client("web")
        for email in ("old@example.org", "new@example.org", "off@example.org"):
            seed.user(email)
        old, new, off = (user_id(seed, e) for e in ("old@example.org", "new@example.org", "off@example.org"))
        live, expired = hasher.hash("live-session"), hasher.hash("expired-session")
        t = now()
        with seed.db.unit_of_work() as s:
            s.add_all(
                [
                    BrowserSession(id_hash=live, expires_at=t + 3600),
                    BrowserSession(id_hash=expired, expires_at=t - 1),
                ]
            )
            s.flush()
            s.add_all(
                [
                    SessionAccount(session_hash=live, user_id=old, authenticated_at=t - 300),
                    SessionAccount(session_hash=live, user_id=new, authenticated_at=t - 10),
                    SessionAccount(session_hash=live, user_id=off, authenticated_at=t - 1),
                    SessionAccount(session_hash=expired, user_id=old, authenticated_at=t - 100),
                ]
            )
            s.execute(update(User).where(User.id == off).values(disabled=True))
            s.add_all(
                [
                    ConsentGrant(user_id=old, client_pk=web.pk, scopes=["openid", "email"]),
                    ConsentGrant(user_id=new, client_pk=other.pk, scopes=["openid"]),
                ]
            )

        for_web, for_other, no_client, gone = lookup(
            store,
            Lookup(client_id=web.client_id, session_hash=live),
            Lookup(client_id=other.client_id, session_hash=live),
            Lookup(session_hash=live),
            Lookup(session_hash=expired),
        )
        assert [(a.user.id, a.authenticated_at) for a in for_web.accounts] == [(new, t - 10), (old, t - 300)]
        assert [a.user.email for a in for_web.accounts] == ["new@example.org", "old@example.org"]
        assert for_web.consents == {old: frozenset({"openid", "email"})}
        assert for_other.consents == {new: frozenset({"openid"})}
        assert for_other.accounts == for_web.accounts
        assert [a.user.id for a in no_client.accounts] == [new, old] and no_client.consents == {}
        assert gone.accounts == ()


def seed_project_of(seed: Seeder, client_pk: int) -> int:
    with seed.db.unit_of_work() as s:
        client = s.get(Client, client_pk)
        assert client is not None
        return client.project_id


def test_lookup_session_members_organization_rules(seed):
    # ISSUE-10 token store / AUTH2-4: /authorize reads each signed-in member's organization rules for
    # the app in the same batched lookup (no query of its own); an approval counts only if it is
    # newer than the admins' last change of the app's access; accounts outside an organization have none.
    with closing(BatchedTokenStore(seed.db)) as store:
        web = seed.client("web")
        seed.user("ann@acme.test", org="acme.test")
        seed.user("ben@acme.test", org="acme.test")
        seed.user("solo@example.org")
        ann, ben, solo = (user_id(seed, e) for e in ("ann@acme.test", "ben@acme.test", "solo@example.org"))
        live = hasher.hash("org-session")
        t = now()
        with seed.db.unit_of_work() as s:
            org = s.scalar(select(Organization).where(Organization.domain == "acme.test"))
            assert org is not None
            org.unconfigured, org.restricted_apis, org.refusal_message = "block", ["mail"], "Ask IT"
            project_id = s.get(Client, web.pk).project_id
            org_id = org.id

            def approved(user: int, project: int, decided_at: int) -> AccessRequest:
                return AccessRequest(
                    org_id=org_id,
                    user_id=user,
                    project_id=project,
                    status="approved",
                    expires_at=t + 9,
                    decided_at=decided_at,
                )

            s.add(BrowserSession(id_hash=live, expires_at=t + 3600))
            s.flush()
            for uid in (ann, ben, solo):
                s.add(SessionAccount(session_hash=live, user_id=uid, authenticated_at=t - 5))
            s.add(
                OrgAppAccess(
                    org_id=org.id,
                    project_id=project_id,
                    access="blocked",
                    installed=False,
                    updated_at=t - 100,
                )
            )
            s.add(approved(ann, project_id, decided_at=t - 50))
            s.add(approved(ben, project_id, decided_at=t - 500))
        other_project = seed_project_of(seed, seed.client("web").pk)
        with seed.db.unit_of_work() as s:
            s.add(
                AccessRequest(
                    org_id=org.id, user_id=ben, project_id=project_id, status="pending", expires_at=t + 9
                )
            )
            s.add(approved(ben, other_project, decided_at=t))
        [found] = lookup(store, Lookup(client_id=web.client_id, session_hash=live))
        assert set(found.org_rules) == {ann, ben}
        rules = found.org_rules[ann]
        assert (rules.unconfigured, rules.access, rules.installed, rules.message) == (
            "block",
            "blocked",
            False,
            "Ask IT",
        )
        assert rules.restricted_apis == frozenset({"mail"}) and rules.approved_request is True
        # approved before the app was blocked; a newer pending one and another app's approval don't count
        assert found.org_rules[ben].approved_request is False
        [no_client] = lookup(store, Lookup(session_hash=live))
        assert no_client.org_rules == {}


def test_lookup_used_nonce(seed):
    # ISSUE-10 token store: a nonce is "used" only if a code of the same client already carried it.
    with closing(BatchedTokenStore(seed.db)) as store:
        web = seed.client("web")
        other = seed.client("web")
        seed.user("dan@example.org")
        _code, row = code_row(web, user_id(seed, "dan@example.org"), new_family(), nonce="nonce-1")
        insert_code(seed, row)
        same, other_client, fresh, no_client = lookup(
            store,
            Lookup(client_id=web.client_id, nonce="nonce-1"),
            Lookup(client_id=other.client_id, nonce="nonce-1"),
            Lookup(client_id=web.client_id, nonce="nonce-2"),
            Lookup(nonce="nonce-1"),
        )
        assert same.nonce_used is True
        assert (
            other_client.nonce_used is False and fresh.nonce_used is False and no_client.nonce_used is False
        )


# --- commits --------------------------------------------------------------------------------
def test_committed_token_rows_are_found_by_lookup(seed):
    # ISSUE-10 token store: tokens written by a commit are durable and found by the next lookup.
    with closing(BatchedTokenStore(seed.db)) as store:
        web = seed.client("web")
        svc = seed.client("service")
        seed.user("erin@example.org")
        uid = user_id(seed, "erin@example.org")
        family = new_family()
        access, refresh, row = token_row(web.pk, uid, family)
        cc_access, _none, cc_row = token_row(
            svc.pk, None, new_family(), refresh=False, grant_type="client_credentials"
        )
        assert refresh is not None
        assert commit(store, Changes(tokens=[row]), Changes(tokens=[cc_row])) == [Outcome.COMMITTED] * 2
        by_access, by_refresh, cc = lookup(
            store,
            Lookup(token_hash=hasher.token_key(access), token_kinds=ACCESS),
            Lookup(token_hash=hasher.token_key(refresh), token_kinds=REFRESH),
            Lookup(token_hash=hasher.token_key(cc_access), token_kinds=ACCESS),
        )
        assert by_access.tokens["access_token"].family == family
        assert by_refresh.tokens["refresh_token"].id == by_access.tokens["access_token"].id
        assert by_access.tokens["access_token"].user_email == "erin@example.org"
        assert cc.tokens["access_token"].owner_client_id == svc.client_id
        stored = token_by_access(seed, access)
        assert (
            stored is not None and stored.refresh_hash == hasher.token_key(refresh) and stored.user_id == uid
        )


def test_committed_rows_keep_every_value_exactly(seed):
    # ISSUE-10 token store: a batch's rows travel as one document on PostgreSQL; quotes, backslashes,
    # non-ASCII text, booleans, NULLs and 64-bit times must land exactly as given, on both engines.
    with closing(BatchedTokenStore(seed.db)) as store:
        web = seed.client("web")
        seed.user("gus@example.org")
        uid = user_id(seed, "gus@example.org")
        _access, _refresh, row = token_row(web.pk, uid, new_family())
        row["scope"] = 'openid "quoted" back\\slash caf\u00e9 \u65e5\u672c \U0001f510'
        row["expires_at"] = 2**62
        code, code_values = code_row(web, uid, new_family(), nonce='n\\"\u00e9')
        code_values["offline"] = True
        assert commit(store, Changes(tokens=[row], codes=[code_values])) == [Outcome.COMMITTED]
        with seed.db.unit_of_work() as s:
            stored = s.scalar(select(Token).where(Token.access_hash == row["access_hash"]))
            assert stored is not None
            assert (stored.scope, stored.expires_at, stored.rotated_at) == (row["scope"], 2**62, None)
            stored_code = s.get(AuthorizationCode, hasher.hash(code))
            assert stored_code is not None
            assert (stored_code.nonce, stored_code.offline) == ('n\\"\u00e9', True)


def test_a_row_naming_no_column_fails_its_batch_loudly(seed):
    # A misspelt key would otherwise leave its column to the default, and its value unstored.
    web = seed.client("web")
    _access, _refresh, row = token_row(web.pk, None, new_family())
    row["acess_hash"] = row.pop("access_hash")
    no_column = pytest.raises(KeyError, match="tokens has no column \\['acess_hash'\\]")
    with seed.db.engine.connect() as conn, conn.begin(), no_column:
        insert_tokens(conn, [row])


def test_complete_and_partial_rows_share_a_batch(seed):
    # ISSUE-10: a row naming every column is stored as it is, a row leaving some out gets the
    # table's defaults, in the same statement, on both engines.
    web = seed.client("web")
    _access, _refresh, complete = token_row(web.pk, None, new_family())
    _partial_access, _partial_refresh, partial = token_row(web.pk, None, new_family())
    complete["scope"] = "email"
    for left_out in ("scope", "token_format", "jti", "revoked_at"):
        partial.pop(left_out)
    with seed.db.engine.connect() as conn, conn.begin():
        insert_tokens(conn, [complete, partial])
    with seed.db.unit_of_work() as s:
        stored = {t.access_hash: t for t in s.query(Token).filter(Token.client_pk == web.pk)}
    whole, filled = stored[complete["access_hash"]], stored[partial["access_hash"]]
    assert (whole.scope, whole.family) == ("email", complete["family"])
    assert (filled.scope, filled.token_format, filled.jti, filled.revoked_at) == ("", "opaque", None, None)
    assert filled.family == partial["family"]


def test_committed_code_and_device_code_rows(seed):
    # ISSUE-10 token store: code rows and device code rows written by a commit are stored and found.
    with closing(BatchedTokenStore(seed.db)) as store:
        web = seed.client("web")
        dev = seed.client("device")
        seed.user("fay@example.org")
        uid = user_id(seed, "fay@example.org")
        family = new_family()
        code, row = code_row(web, uid, family, nonce="n-9")
        device = device_row(dev, None, "pending")
        assert commit(store, Changes(codes=[row], device_codes=[device])) == [Outcome.COMMITTED]
        with seed.db.unit_of_work() as s:
            stored = s.get(AuthorizationCode, hasher.hash(code))
            assert stored is not None
            assert (stored.client_pk, stored.user_id, stored.family, stored.used_at) == (
                web.pk,
                uid,
                family,
                None,
            )
            stored_device = s.get(DeviceCode, device["device_code_hash"])
            assert stored_device is not None and stored_device.status == "pending"
        found_code, found_device, nonce = lookup(
            store,
            Lookup(code_hash=hasher.hash(code)),
            Lookup(device_hash=device["device_code_hash"]),
            Lookup(client_id=web.client_id, nonce="n-9"),
        )
        assert found_code.code is not None and found_code.code.user.email == "fay@example.org"
        assert found_device.device is not None and found_device.device.owner_client_id == dev.client_id
        assert nonce.nonce_used is True


def test_revoke_families_revokes_every_token_of_the_family(seed):
    # ISSUE-10 token store: revoke_families revokes all of a family's tokens and nothing else.
    with closing(BatchedTokenStore(seed.db)) as store:
        web = seed.client("web")
        seed.user("gus@example.org")
        uid = user_id(seed, "gus@example.org")
        family, keep = new_family(), new_family()
        for _ in range(3):
            insert_token(seed, token_row(web.pk, uid, family)[2])
        insert_token(seed, token_row(web.pk, uid, keep)[2])
        assert commit(store, Changes(revoke_families=[family])) == [Outcome.COMMITTED]
        revoked = tokens_of(seed, family)
        assert len(revoked) == 3 and all(t.revoked_at is not None for t in revoked)
        assert [t.revoked_at for t in tokens_of(seed, keep)] == [None]


def test_audit_entries_land_in_audit_events(seed):
    # ISSUE-10 token store: audit entries of a commit (several in one batch) are chained audit events.
    with closing(BatchedTokenStore(seed.db)) as store:
        entries = [
            AuditEntry("oauth:token:issued", {"client_id": "a"}, actor="alice@example.org"),
            AuditEntry("oauth:token:revoked", {"family": "f1"}),
        ]
        with seed.db.unit_of_work() as s:  # the batch must chain to a link it did not write itself
            audit_record(s, "test:chain:start", actor="setup")
        before = count(seed, AuditEvent)
        assert (
            commit(store, Changes(audit=entries[:1]), Changes(audit=entries[1:])) == [Outcome.COMMITTED] * 2
        )
        with seed.db.unit_of_work() as s:  # and what comes after it, to the batch's last link
            audit_record(s, "test:chain:end", actor="setup")
        events = audit_tags(seed)[before:-1]
        assert sorted(events) == sorted(
            [
                ("oauth:token:issued", "alice@example.org", {"client_id": "a", "channel": "protocol"}),
                ("oauth:token:revoked", "", {"family": "f1", "channel": "protocol"}),
            ]
        )
        with seed.db.unit_of_work() as s:
            assert verify_chain(s)


def test_device_poll_updates_last_poll_and_interval(seed):
    # ISSUE-10 token store: a device poll records when it was polled and the (slowed-down) interval.
    with closing(BatchedTokenStore(seed.db)) as store:
        dev = seed.client("device")
        device = insert_device(seed, device_row(dev, None, "pending"))
        polled = now()
        assert commit(store, Changes(device_polls=[DevicePoll(device, polled, 10)])) == [Outcome.COMMITTED]
        with seed.db.unit_of_work() as s:
            row = s.get(DeviceCode, device)
            assert row is not None and (row.last_poll_at, row.interval, row.status) == (polled, 10, "pending")
        (found,) = lookup(store, Lookup(device_hash=device))
        assert found.device is not None and (found.device.last_poll_at, found.device.interval) == (polled, 10)


def test_claim_assertion_records_the_jti_and_refuses_a_replay(seed):
    # ISSUE-10 token store: a client assertion's jti is claimed once; a second claim, later or in the
    # same batch, is ASSERTION_REPLAYED and writes nothing.
    with closing(BatchedTokenStore(seed.db)) as store:
        svc = seed.client("service")
        jti, other = hasher.hash("jti-1"), hasher.hash("jti-2")
        expires = now() + 300
        first_row = token_row(svc.pk, None, new_family(), refresh=False, grant_type="client_credentials")
        assert commit(
            store, Changes(claim_assertion=AssertionClaim(jti, expires), tokens=[first_row[2]])
        ) == [Outcome.COMMITTED]
        with seed.db.unit_of_work() as s:
            used = s.get(UsedAssertion, jti)
            assert used is not None and used.expires_at == expires
        replay_access, _r, replay_row = token_row(svc.pk, None, new_family(), refresh=False)
        assert commit(store, Changes(claim_assertion=AssertionClaim(jti, expires), tokens=[replay_row])) == [
            Outcome.ASSERTION_REPLAYED
        ]
        assert (
            token_by_access(seed, replay_access) is None and token_by_access(seed, first_row[0]) is not None
        )

        a_access, _r, a_row = token_row(svc.pk, None, new_family(), refresh=False)
        b_access, _r, b_row = token_row(svc.pk, None, new_family(), refresh=False)
        outcomes = commit(
            store,
            Changes(claim_assertion=AssertionClaim(other, expires), tokens=[a_row]),
            Changes(claim_assertion=AssertionClaim(other, expires), tokens=[b_row]),
        )
        assert sorted(o.value for o in outcomes) == sorted(
            [Outcome.COMMITTED.value, Outcome.ASSERTION_REPLAYED.value]
        )
        written = [token_by_access(seed, x) is not None for x in (a_access, b_access)]
        assert written == [o is Outcome.COMMITTED for o in outcomes]
        assert count(seed, UsedAssertion) == 2


def test_a_replayed_assertion_does_not_burn_the_code_it_carries(seed):
    # ISSUE-10 token store: the assertion is decided before the code, so a replayed assertion leaves
    # the code unused (and its family untouched) for its rightful owner.
    with closing(BatchedTokenStore(seed.db)) as store:
        web = seed.client("web")
        seed.user("hal@example.org")
        uid = user_id(seed, "hal@example.org")
        family = new_family()
        code, row = code_row(web, uid, family)
        insert_code(seed, row)
        jti = hasher.hash("seen-jti")
        assert commit(store, Changes(claim_assertion=AssertionClaim(jti, now() + 60))) == [Outcome.COMMITTED]
        assert commit(
            store,
            Changes(
                claim_assertion=AssertionClaim(jti, now() + 60),
                claim_code=CodeClaim(hasher.hash(code), family),
                tokens=[token_row(web.pk, uid, family)[2]],
            ),
        ) == [Outcome.ASSERTION_REPLAYED]
        with seed.db.unit_of_work() as s:
            stored = s.get(AuthorizationCode, hasher.hash(code))
            assert stored is not None and stored.used_at is None
        assert tokens_of(seed, family) == []


# --- races ----------------------------------------------------------------------------------
def _code_exchange(client: SeededClient, uid: int, code: str, family: str) -> tuple[str, Changes]:
    access, _refresh, row = token_row(client.pk, uid, family)
    return access, Changes(claim_code=CodeClaim(hasher.hash(code), family), tokens=[row])


def _seeded_code(seed: Seeder, email: str) -> tuple[SeededClient, int, str, str]:
    web = seed.client("web")
    seed.user(email)
    uid = user_id(seed, email)
    family = new_family()
    code, row = code_row(web, uid, family)
    insert_code(seed, row)
    return web, uid, code, family


def test_one_code_claimed_twice_in_one_batch(seed):
    # ISSUE-10 token store, RFC 6749 4.1.2: two exchanges of one code in the same batch: exactly one
    # COMMITTED (its tokens written), the other CODE_REPLAYED (its tokens never written), code used.
    with closing(BatchedTokenStore(seed.db)) as store:
        web, uid, code, family = _seeded_code(seed, "ivy@example.org")
        a_access, a = _code_exchange(web, uid, code, family)
        b_access, b = _code_exchange(web, uid, code, family)
        batches = store.writer.batches
        outcomes = commit(store, a, b)
        assert store.writer.batches - batches == 1  # both really shared one transaction
        assert sorted(o.value for o in outcomes) == sorted(
            [Outcome.COMMITTED.value, Outcome.CODE_REPLAYED.value]
        )
        winner, loser = (a_access, b_access) if outcomes[0] is Outcome.COMMITTED else (b_access, a_access)
        assert token_by_access(seed, winner) is not None
        assert token_by_access(seed, loser) is None
        with seed.db.unit_of_work() as s:
            stored = s.get(AuthorizationCode, hasher.hash(code))
            assert stored is not None and stored.used_at is not None
        assert ("token:code:replay", "", {"family": family, "channel": "protocol"}) in audit_tags(seed)


def test_one_code_claimed_twice_in_one_batch_revokes_what_the_winner_issued(seed):
    # ISSUE-10 token store, RFC 6749 4.1.2: a replay revokes what the code issued, even when the
    # first use committed in the very same batch as the replay.
    with closing(BatchedTokenStore(seed.db)) as store:
        web, uid, code, family = _seeded_code(seed, "jay@example.org")
        outcomes = commit(
            store, _code_exchange(web, uid, code, family)[1], _code_exchange(web, uid, code, family)[1]
        )
        assert Outcome.CODE_REPLAYED in outcomes
        issued = tokens_of(seed, family)
        assert len(issued) == 1
        assert issued[0].revoked_at is not None


def test_one_code_claimed_twice_in_sequence_revokes_what_the_first_issued(seed):
    # ISSUE-10 token store, RFC 6749 4.1.2: a later replay of a used code is CODE_REPLAYED, writes none
    # of its own tokens and revokes the tokens the first exchange issued.
    with closing(BatchedTokenStore(seed.db)) as store:
        web, uid, code, family = _seeded_code(seed, "kim@example.org")
        first_access, first = _code_exchange(web, uid, code, family)
        second_access, second = _code_exchange(web, uid, code, family)
        assert commit(store, first) == [Outcome.COMMITTED]
        issued = token_by_access(seed, first_access)
        assert issued is not None and issued.revoked_at is None
        assert commit(store, second) == [Outcome.CODE_REPLAYED]
        assert token_by_access(seed, second_access) is None
        assert [t.revoked_at is not None for t in tokens_of(seed, family)] == [True]
        assert ("token:code:replay", "", {"family": family, "channel": "protocol"}) in audit_tags(seed)


def _seeded_refresh(seed: Seeder, email: str) -> tuple[SeededClient, int, int, str]:
    web = seed.client("web")
    seed.user(email)
    uid = user_id(seed, email)
    family = new_family()
    token_id = insert_token(seed, token_row(web.pk, uid, family)[2])
    return web, uid, token_id, family


def _rotation(client: SeededClient, uid: int, token_id: int, family: str) -> tuple[str, Changes]:
    access, _refresh, row = token_row(client.pk, uid, family, grant_type="refresh_token")
    return access, Changes(claim_refresh=RefreshClaim(token_id, family), tokens=[row])


def test_one_refresh_token_claimed_twice_in_one_batch(seed):
    # ISSUE-10 token store, RFC 9700 4.14.2: two rotations of one refresh token in the same batch:
    # exactly one COMMITTED, the other REFRESH_REUSED (its successor never written), the presented
    # token rotated and revoked, and the reuse audited.
    with closing(BatchedTokenStore(seed.db)) as store:
        web, uid, token_id, family = _seeded_refresh(seed, "lee@example.org")
        a_access, a = _rotation(web, uid, token_id, family)
        b_access, b = _rotation(web, uid, token_id, family)
        batches = store.writer.batches
        outcomes = commit(store, a, b)
        assert store.writer.batches - batches == 1
        assert sorted(o.value for o in outcomes) == sorted(
            [Outcome.COMMITTED.value, Outcome.REFRESH_REUSED.value]
        )
        winner, loser = (a_access, b_access) if outcomes[0] is Outcome.COMMITTED else (b_access, a_access)
        assert token_by_access(seed, winner) is not None
        assert token_by_access(seed, loser) is None
        with seed.db.unit_of_work() as s:
            presented = s.get(Token, token_id)
            assert (
                presented is not None
                and presented.rotated_at is not None
                and presented.revoked_at is not None
            )
        assert ("token:refresh:reuse", "", {"family": family, "channel": "protocol"}) in audit_tags(seed)


def test_one_refresh_token_claimed_twice_in_one_batch_revokes_the_whole_family(seed):
    # ISSUE-10 token store, RFC 9700 4.14.2: reuse revokes the whole family, including the successor
    # the winning rotation wrote in the same batch.
    with closing(BatchedTokenStore(seed.db)) as store:
        web, uid, token_id, family = _seeded_refresh(seed, "max@example.org")
        outcomes = commit(
            store, _rotation(web, uid, token_id, family)[1], _rotation(web, uid, token_id, family)[1]
        )
        assert Outcome.REFRESH_REUSED in outcomes
        family_rows = tokens_of(seed, family)
        assert len(family_rows) == 2
        assert [t.revoked_at is not None for t in family_rows] == [True, True]


def test_one_refresh_token_claimed_twice_in_sequence_revokes_the_whole_family(seed):
    # ISSUE-10 token store, RFC 9700 4.14.2: a rotated refresh token presented again is REFRESH_REUSED:
    # its successor is not written, the whole family (the successor too) is revoked, reuse audited.
    with closing(BatchedTokenStore(seed.db)) as store:
        web, uid, token_id, family = _seeded_refresh(seed, "ned@example.org")
        first_access, first = _rotation(web, uid, token_id, family)
        second_access, second = _rotation(web, uid, token_id, family)
        assert commit(store, first) == [Outcome.COMMITTED]
        successor = token_by_access(seed, first_access)
        assert successor is not None and successor.revoked_at is None
        assert commit(store, second) == [Outcome.REFRESH_REUSED]
        assert token_by_access(seed, second_access) is None
        family_rows = tokens_of(seed, family)
        assert len(family_rows) == 2 and all(t.revoked_at is not None for t in family_rows)
        assert ("token:refresh:reuse", "", {"family": family, "channel": "protocol"}) in audit_tags(seed)


@pytest.mark.parametrize("together", [True, False], ids=["one-batch", "sequential"])
def test_one_approved_device_code_claimed_twice(seed, together):
    # ISSUE-10 token store, RFC 8628: an approved device code is exchanged once: one COMMITTED, the
    # other DEVICE_USED with nothing written; the code ends "used".
    with closing(BatchedTokenStore(seed.db)) as store:
        dev = seed.client("device")
        seed.user("oz@example.org")
        uid = user_id(seed, "oz@example.org")
        device = insert_device(seed, device_row(dev, uid, "approved"))
        a_access, _r, a_row = token_row(dev.pk, uid, new_family(), grant_type="device_code")
        b_access, _r, b_row = token_row(dev.pk, uid, new_family(), grant_type="device_code")
        a, b = Changes(claim_device=device, tokens=[a_row]), Changes(claim_device=device, tokens=[b_row])
        outcomes = commit(store, a, b) if together else [*commit(store, a), *commit(store, b)]
        assert sorted(o.value for o in outcomes) == sorted(
            [Outcome.COMMITTED.value, Outcome.DEVICE_USED.value]
        )
        if not together:
            assert outcomes == [Outcome.COMMITTED, Outcome.DEVICE_USED]
        written = [token_by_access(seed, x) is not None for x in (a_access, b_access)]
        assert written == [o is Outcome.COMMITTED for o in outcomes]
        with seed.db.unit_of_work() as s:
            row = s.get(DeviceCode, device)
            assert row is not None and row.status == "used"


@pytest.mark.parametrize("status", ["pending", "denied"])
def test_a_device_code_not_approved_cannot_be_claimed(seed, status):
    # ISSUE-10 token store, RFC 8628: only an approved device code can be claimed.
    with closing(BatchedTokenStore(seed.db)) as store:
        dev = seed.client("device")
        device = insert_device(seed, device_row(dev, None, status))
        access, _r, row = token_row(dev.pk, None, new_family(), refresh=False, grant_type="device_code")
        assert commit(store, Changes(claim_device=device, tokens=[row])) == [Outcome.DEVICE_USED]
        assert token_by_access(seed, access) is None
        with seed.db.unit_of_work() as s:
            stored = s.get(DeviceCode, device)
            assert stored is not None and stored.status == status


# --- client fingerprint ---------------------------------------------------------------------
def _disable(seed: Seeder, client: SeededClient) -> None:
    with seed.db.unit_of_work() as s:
        s.execute(update(Client).where(Client.id == client.pk).values(disabled=True))


def _rotate_secret(seed: Seeder, client: SeededClient) -> None:
    with seed.db.unit_of_work() as s:
        s.execute(update(Client).where(Client.id == client.pk).values(secret_hash=hasher.hash("rotated")))


def _demote_project(seed: Seeder, client: SeededClient) -> None:
    with seed.db.unit_of_work() as s:
        project = s.scalar(select(Client.project_id).where(Client.id == client.pk))
        s.execute(update(Project).where(Project.id == project).values(status="testing"))


@pytest.mark.parametrize(
    "change",
    [_disable, _rotate_secret, _demote_project],
    ids=["disabled", "secret-rotated", "project-status"],
)
def test_a_commit_on_a_stale_client_snapshot_is_refused(seed, change):
    # ISSUE-10 token store: a commit relying on a client snapshot that changed since (disabled, secret
    # rotated, project status) is CLIENT_CHANGED and writes nothing of its own, while a batch-mate
    # whose client is unchanged commits.
    with closing(BatchedTokenStore(seed.db)) as store:
        stale = seed.client("service")
        fine = seed.client("service")
        seed.user("pat@example.org")
        uid = user_id(seed, "pat@example.org")
        web = seed.client("web")
        stale_snap, fine_snap = (
            f.client
            for f in lookup(store, Lookup(client_id=stale.client_id), Lookup(client_id=fine.client_id))
        )
        assert stale_snap is not None and fine_snap is not None
        change(seed, stale)

        victim_family = new_family()
        insert_token(seed, token_row(web.pk, uid, victim_family)[2])
        code, code_values = code_row(web, uid, new_family())
        stale_access, _r, stale_row = token_row(stale.pk, None, new_family(), refresh=False)
        fine_access, _r, fine_row = token_row(fine.pk, None, new_family(), refresh=False)
        refused = Changes(
            client=stale_snap,
            claim_assertion=AssertionClaim(hasher.hash("stale-jti"), now() + 60),
            tokens=[stale_row],
            codes=[code_values],
            revoke_families=[victim_family],
            audit=[AuditEntry("oauth:token:issued", {"client": stale.client_id})],
        )
        again_access, _r, again_row = token_row(stale.pk, None, new_family(), refresh=False)
        batches = store.writer.batches
        outcomes = commit(
            store,
            refused,
            Changes(client=fine_snap, tokens=[fine_row]),
            # The same stale snapshot again, later in the batch: refused too (compared once per snapshot).
            Changes(client=stale_snap, tokens=[again_row]),
        )
        assert store.writer.batches - batches == 1
        assert outcomes == [Outcome.CLIENT_CHANGED, Outcome.COMMITTED, Outcome.CLIENT_CHANGED]
        assert token_by_access(seed, stale_access) is None
        assert token_by_access(seed, again_access) is None
        assert token_by_access(seed, fine_access) is not None
        assert [t.revoked_at for t in tokens_of(seed, victim_family)] == [None]
        with seed.db.unit_of_work() as s:
            assert s.get(AuthorizationCode, hasher.hash(code)) is None
            assert s.get(UsedAssertion, hasher.hash("stale-jti")) is None
        assert (
            "oauth:token:issued",
            "",
            {"client": stale.client_id, "channel": "protocol"},
        ) not in audit_tags(seed)

        # A fresh snapshot of the changed client commits again.
        (fresh,) = lookup(store, Lookup(client_id=stale.client_id))
        assert fresh.client is not None and fresh.client.fingerprint != stale_snap.fingerprint
        assert commit(store, Changes(client=fresh.client, tokens=[stale_row])) == [Outcome.COMMITTED]


def _delete_client(seed: Seeder, client: SeededClient) -> None:
    with seed.db.unit_of_work() as s:
        s.execute(delete(Client).where(Client.id == client.pk))


@pytest.mark.parametrize(
    "change",
    [_disable, _rotate_secret, _demote_project, _delete_client],
    ids=["disabled", "secret-rotated", "project-status", "deleted"],
)
def test_a_batch_that_only_mints_refuses_a_stale_client_and_keeps_its_batch_mates(seed, change, monkeypatch):
    # ISSUE-10 token store: a batch of client-credentials mints (nothing else) is one statement on
    # PostgreSQL, its tokens written before the clients are compared: a request whose client
    # changed (or was deleted) since its snapshot is still CLIENT_CHANGED and leaves no token row,
    # while its batch-mates commit.
    at_once = []
    real = token_batches.mint_reading_clients

    def counted(*a: Any) -> Any:
        at_once.append(len(a[2]))
        return real(*a)

    monkeypatch.setattr(token_batches, "mint_reading_clients", counted)
    with closing(BatchedTokenStore(seed.db)) as store:
        stale, fine = seed.client("service"), seed.client("service")
        stale_snap, fine_snap = (
            f.client
            for f in lookup(store, Lookup(client_id=stale.client_id), Lookup(client_id=fine.client_id))
        )
        assert stale_snap is not None and fine_snap is not None
        change(seed, stale)
        mints = [
            token_row(client.pk, None, new_family(), refresh=False, grant_type="client_credentials")
            for client in (stale, fine, stale, fine)
        ]
        tokens_before = count(seed, Token)
        outcomes = commit(
            store,
            *(
                Changes(client=snap, tokens=[row])
                for snap, (_a, _r, row) in zip(
                    (stale_snap, fine_snap, stale_snap, fine_snap), mints, strict=True
                )
            ),
        )
        assert outcomes == [Outcome.CLIENT_CHANGED, Outcome.COMMITTED] * 2
        assert [token_by_access(seed, access) is not None for access, _r, _row in mints] == [
            False,
            True,
            False,
            True,
        ]
        assert count(seed, Token) == tokens_before + 2
        # PostgreSQL took the one-statement path, for the whole batch; SQLite never does.
        assert at_once == ([4] if seed.db.engine.dialect.name == "postgresql" else [])


def test_which_batches_are_one_statement():
    # ISSUE-10 token store: only requests that mint tokens for the client they relied on, with
    # nothing to claim, no other row and no user's refresh token, are written at once.
    snap = ClientSnapshot(
        7, "c", "App", None, "service", "opaque", "RS256", False, False, 1, "P", "production"
    )
    _a, _r, service_row = token_row(snap.id, None, new_family(), refresh=False)
    _a, _r, user_row = token_row(snap.id, 3, new_family())
    _a, _r, other_client = token_row(8, None, new_family(), refresh=False)
    mint = Changes(client=snap, tokens=[service_row])
    assert mints_only([mint, Changes(client=snap, tokens=[service_row, dict(service_row)])])
    assert mints_only([Changes(client=snap, tokens=[{**user_row, "user_id": None}])])
    for other in (
        Changes(tokens=[service_row]),  # no snapshot to check
        Changes(client=snap, tokens=[other_client]),
        Changes(client=snap, tokens=[user_row]),  # may retire the user's oldest refresh token
        Changes(client=snap, claim_refresh=RefreshClaim(1, "f")),
        Changes(client=snap, claim_code=CodeClaim("h", "f")),
        Changes(client=snap, claim_device="d"),
        Changes(client=snap, claim_assertion=AssertionClaim("j", 1)),
        Changes(client=snap, codes=[{}]),
        Changes(client=snap, device_codes=[{}]),
        Changes(client=snap, device_polls=[DevicePoll("d", 1, 5)]),
        Changes(client=snap, revoke_families=["f"]),
        Changes(client=snap, audit=[AuditEntry("oauth:token:issued", {})]),
    ):
        assert not mints_only([mint, other]), other


def test_a_stale_snapshot_does_not_burn_the_code_it_claims(seed):
    # ISSUE-10 token store: the client check comes before every claim: a refused commit leaves the code
    # unused and revokes nothing.
    with closing(BatchedTokenStore(seed.db)) as store:
        web, uid, code, family = _seeded_code(seed, "quin@example.org")
        (found,) = lookup(store, Lookup(client_id=web.client_id))
        assert found.client is not None
        _disable(seed, web)
        access, changes = _code_exchange(web, uid, code, family)
        changes.client = found.client
        assert commit(store, changes) == [Outcome.CLIENT_CHANGED]
        assert token_by_access(seed, access) is None
        with seed.db.unit_of_work() as s:
            stored = s.get(AuthorizationCode, hasher.hash(code))
            assert stored is not None and stored.used_at is None


# --- a lost claim writes nothing of its own -------------------------------------------------
@pytest.mark.parametrize("claim", ["refresh", "code", "device", "assertion"])
def test_a_commit_whose_claim_is_lost_writes_none_of_its_rows(seed, claim):
    # ISSUE-10 token store: a commit whose claim was already used writes none of its tokens, codes,
    # device codes, revocations or audit entries: only the claim's own consequence.
    with closing(BatchedTokenStore(seed.db)) as store:
        web = seed.client("web")
        dev = seed.client("device")
        seed.user("rae@example.org")
        uid = user_id(seed, "rae@example.org")
        family = new_family()
        if claim == "refresh":
            token_id = insert_token(seed, token_row(web.pk, uid, family)[2])
            lost = Changes(claim_refresh=RefreshClaim(token_id, family))
            with seed.db.unit_of_work() as s:
                s.execute(update(Token).where(Token.id == token_id).values(rotated_at=now()))
            expected = Outcome.REFRESH_REUSED
        elif claim == "code":
            code, row = code_row(web, uid, family)
            row["used_at"] = now()
            insert_code(seed, row)
            lost = Changes(claim_code=CodeClaim(hasher.hash(code), family))
            expected = Outcome.CODE_REPLAYED
        elif claim == "device":
            lost = Changes(claim_device=insert_device(seed, device_row(dev, uid, "used")))
            expected = Outcome.DEVICE_USED
        else:
            jti = hasher.hash("used-jti")
            with seed.db.unit_of_work() as s:
                s.add(UsedAssertion(jti_hash=jti, expires_at=now() + 60))
            lost = Changes(claim_assertion=AssertionClaim(jti, now() + 60))
            expected = Outcome.ASSERTION_REPLAYED

        bystander = new_family()
        insert_token(seed, token_row(web.pk, uid, bystander)[2])
        access, _r, new_row = token_row(web.pk, uid, family)
        other_access, _r, other_row = token_row(web.pk, uid, new_family())
        code, new_code = code_row(web, uid, new_family())
        new_device = device_row(dev, None, "pending")
        lost.tokens = [new_row, other_row]
        lost.codes = [new_code]
        lost.device_codes = [new_device]
        lost.revoke_families = [bystander]
        lost.audit = [AuditEntry("oauth:token:issued", {"family": family})]
        tokens_before = count(seed, Token)

        assert commit(store, lost) == [expected]
        assert token_by_access(seed, access) is None and token_by_access(seed, other_access) is None
        assert count(seed, Token) == tokens_before
        assert [t.revoked_at for t in tokens_of(seed, bystander)] == [None]
        with seed.db.unit_of_work() as s:
            assert s.get(AuthorizationCode, hasher.hash(code)) is None
            assert s.get(DeviceCode, new_device["device_code_hash"]) is None
        assert ("oauth:token:issued", "", {"family": family, "channel": "protocol"}) not in audit_tags(seed)
