"""The JWT bearer grant over HTTP (RFC 7523, AUTH2-5), on SQLite and PostgreSQL.

A service account signs an assertion with its key file and gets a token: for itself without
``sub`` (it reaches no user's data), for a user with ``sub`` only once an admin of the user's
organization delegated the scopes. Every failure answers RFC 6749 JSON with a code and a
description that says what to fix; none is a 500.
"""

from __future__ import annotations

import time
from typing import Any

import pytest
from sqlalchemy import select
from starlette.testclient import TestClient

from consentry.domain.audit.tags import Channel
from consentry.domain.orgs import delegation
from consentry.domain.service_accounts import keys
from consentry.storage.tables import Client, Project, Token
from tests.conftest import ISSUER
from tests.integration.service_accounts.support import (
    JWT_BEARER,
    Account,
    accounts,
    delegate,
    service_account,
)
from tests.support.seed import Seeder

TOKEN_URL = f"{ISSUER}/token"
MAIL = f"{ISSUER}/auth/mail.readonly"
CAL = f"{ISSUER}/auth/calendar.readonly"
ALICE = "alice@acme.example"
MISSING_MAIL = (
    f"Domain-wide delegation is missing for {ALICE}: no admin of acme.example delegated "
    "mail.readonly to this service account."
)


def grant(client: TestClient, assertion: str, **form: str) -> Any:
    return client.post("/token", data={"grant_type": JWT_BEARER, "assertion": assertion, **form})


def refused(r: Any, error: str, description: str, status: int = 400) -> None:
    assert r.status_code == status, r.text
    assert r.json() == {"error": error, "error_description": description}
    assert r.headers["cache-control"] == "no-store"


@pytest.fixture
def sa(seed: Seeder) -> Account:
    seed.user(ALICE, org="acme.example")
    seed.sample_data(ALICE)
    return service_account(seed)


# --- tokens ------------------------------------------------------------------------------------
def test_without_sub_the_token_is_the_service_accounts_own(seed, client, sa) -> None:  # AUTH2-5
    r = grant(client, sa.assertion(TOKEN_URL, scope=MAIL))
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["token_type"] == "Bearer" and body["scope"] == MAIL and "refresh_token" not in body
    with seed.db.unit_of_work() as s:
        row = s.scalar(select(Token).where(Token.grant_type == JWT_BEARER))
        assert row is not None and row.user_id is None
    # It reaches only the service account's own data: no user's mailbox.
    mail = client.get("/data/v1/mail/messages", headers={"Authorization": f"Bearer {body['access_token']}"})
    assert mail.status_code == 401
    assert "use a token issued for a user" in mail.headers["www-authenticate"]


def test_with_sub_only_after_an_admin_delegated_the_scopes(seed, client, sa) -> None:  # AUTH2-5
    refused(
        grant(client, sa.assertion(TOKEN_URL, scope=MAIL, sub=ALICE)), "unauthorized_client", MISSING_MAIL
    )
    delegate(seed, "acme.example", sa.client_id, "mail.readonly")
    r = grant(client, sa.assertion(TOKEN_URL, scope=MAIL, sub=ALICE.upper()))
    assert r.status_code == 200, r.text
    assert r.json()["scope"] == MAIL
    headers = {"Authorization": f"Bearer {r.json()['access_token']}"}
    messages = client.get("/data/v1/mail/messages", headers=headers)
    assert messages.status_code == 200, messages.text
    assert len(messages.json()["messages"]) == 3
    # A scope the admins did not delegate is named in the refusal, and nothing is issued for it.
    refused(
        grant(client, sa.assertion(TOKEN_URL, scope=f"{MAIL} {CAL}", sub=ALICE)),
        "unauthorized_client",
        f"Domain-wide delegation is missing for {ALICE}: no admin of acme.example delegated "
        "calendar.readonly to this service account.",
    )


def test_undelegating_ends_the_tokens_it_gave(seed, client, sa) -> None:  # AUTH2-5
    delegate(seed, "acme.example", sa.client_id, "mail.readonly", "calendar.readonly")
    mail = grant(client, sa.assertion(TOKEN_URL, scope=MAIL, sub=ALICE)).json()["access_token"]
    cal = grant(client, sa.assertion(TOKEN_URL, scope=CAL, sub=ALICE)).json()["access_token"]
    delegate(seed, "acme.example", sa.client_id, "calendar.readonly")  # narrowed: mail taken back
    assert (
        client.get("/data/v1/mail/messages", headers={"Authorization": f"Bearer {mail}"}).status_code == 401
    )
    assert (
        client.get("/data/v1/calendar/events", headers={"Authorization": f"Bearer {cal}"}).status_code == 200
    )
    with seed.db.unit_of_work() as s:
        delegation.undelegate(
            s, org_domain="acme.example", client_id=sa.client_id, actor="admin", channel=Channel.CLI
        )
    assert (
        client.get("/data/v1/calendar/events", headers={"Authorization": f"Bearer {cal}"}).status_code == 401
    )
    refused(
        grant(client, sa.assertion(TOKEN_URL, scope=MAIL, sub=ALICE)), "unauthorized_client", MISSING_MAIL
    )


def test_an_unknown_user_reads_like_a_missing_delegation(seed, client, sa) -> None:  # AUTH2-5
    # No way to learn from the answer whether an account exists.
    delegate(seed, "acme.example", sa.client_id, "mail.readonly")
    refused(
        grant(client, sa.assertion(TOKEN_URL, scope=MAIL, sub="nobody@acme.example")),
        "unauthorized_client",
        "Domain-wide delegation is missing for nobody@acme.example: no admin of acme.example "
        "delegated mail.readonly to this service account.",
    )


def test_the_scope_parameter_works_as_rfc_7523_says(client, sa) -> None:  # AUTH2-5
    r = grant(client, sa.assertion(TOKEN_URL), scope=MAIL)
    assert r.status_code == 200 and r.json()["scope"] == MAIL, r.text
    refused(
        grant(client, sa.assertion(TOKEN_URL, scope=CAL), scope=MAIL),
        "invalid_scope",
        "The 'scope' parameter and the assertion's 'scope' claim differ.",
    )


def test_an_uploaded_public_key_signs_too(seed, client, sa) -> None:  # AUTH2-5
    pair = keys.generate()
    with accounts(seed) as service:
        uploaded = service.add_key(sa.client_id, _public_pem(pair))
        kid = uploaded.key.kid
    assert uploaded.key_file is None and uploaded.key.origin == "uploaded"
    r = grant(client, sa.assertion(TOKEN_URL, scope=MAIL, key_pem=pair.private_pem, kid=kid))
    assert r.status_code == 200, r.text


def _public_pem(pair: keys.GeneratedKey) -> str:
    from cryptography.hazmat.primitives import serialization

    private = serialization.load_pem_private_key(pair.private_pem.encode(), password=None)
    return (
        private.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )


# --- each failure: its code and its description ---------------------------------------------------
def test_bad_signature(client, sa) -> None:  # AUTH2-5
    forged = sa.assertion(TOKEN_URL, scope=MAIL, key_pem=keys.generate().private_pem)
    refused(
        grant(client, forged),
        "invalid_grant",
        "The assertion's signature does not verify with its key (kid).",
    )


def test_wrong_audience(client, sa) -> None:  # AUTH2-5
    # google-auth's default audience is the reference platform's endpoint: refused here.
    for aud in ("https://oauth2.googleapis.com/token", ISSUER):
        refused(
            grant(client, sa.assertion(aud, scope=MAIL)),
            "invalid_grant",
            f"The assertion's audience (aud) must be this server's token endpoint, {TOKEN_URL}.",
        )


def test_expired(client, sa) -> None:  # AUTH2-5
    old = int(time.time()) - 2 * 3600
    refused(
        grant(client, sa.assertion(TOKEN_URL, scope=MAIL, iat=old)),
        "invalid_grant",
        "The assertion has expired (exp).",
    )


def test_lifetime_over_one_hour(client, sa) -> None:  # AUTH2-5
    refused(
        grant(client, sa.assertion(TOKEN_URL, scope=MAIL, lifetime=3600 + 1)),
        "invalid_grant",
        "The assertion's lifetime (exp - iat) is over one hour.",
    )


def test_issued_in_the_future(client, sa) -> None:  # AUTH2-5
    refused(
        grant(client, sa.assertion(TOKEN_URL, scope=MAIL, iat=int(time.time()) + 600)),
        "invalid_grant",
        "The assertion was issued in the future (iat): check the signer's clock.",
    )


def test_replayed_jti(client, sa) -> None:  # AUTH2-5
    first = sa.assertion(TOKEN_URL, scope=MAIL, jti="once")
    assert grant(client, first).status_code == 200
    replay = "This assertion was used before: sign a new one (with a new jti) per request."
    refused(grant(client, first), "invalid_grant", replay)
    # The same jti in a new assertion is a replay too.
    refused(grant(client, sa.assertion(TOKEN_URL, scope=CAL, jti="once")), "invalid_grant", replay)


def test_without_jti_an_assertion_lives_until_it_expires(client, sa) -> None:  # AUTH2-5
    # google-auth sends no jti and may send the same assertion twice within a second (its retry
    # after a 401): nothing tells that from a replay, so only the lifetime bounds it.
    bare = sa.assertion(TOKEN_URL, scope=MAIL, jti=None)
    assert grant(client, bare).status_code == 200
    assert grant(client, bare).status_code == 200


def test_a_refused_assertion_is_not_burnt(seed, client, sa) -> None:  # AUTH2-5
    # Refused for a missing delegation: once the admin delegates, the very same assertion works.
    assertion = sa.assertion(TOKEN_URL, scope=MAIL, sub=ALICE)
    refused(grant(client, assertion), "unauthorized_client", MISSING_MAIL)
    delegate(seed, "acme.example", sa.client_id, "mail.readonly")
    assert grant(client, assertion).status_code == 200


def test_undelegated_sub(seed, client, sa) -> None:  # AUTH2-5
    seed.user("bob@other.example", org="other.example")
    delegate(seed, "acme.example", sa.client_id, "mail.readonly")  # acme's admins, not other's
    refused(
        grant(client, sa.assertion(TOKEN_URL, scope=MAIL, sub="bob@other.example")),
        "unauthorized_client",
        "Domain-wide delegation is missing for bob@other.example: no admin of other.example "
        "delegated mail.readonly to this service account.",
    )


def test_disabled_key(seed, client, sa) -> None:  # AUTH2-5
    with accounts(seed) as service:
        service.set_key_disabled(sa.client_id, sa.kid, True)
    refused(
        grant(client, sa.assertion(TOKEN_URL, scope=MAIL)),
        "invalid_grant",
        "The assertion's key (kid) is disabled: use another key of the service account.",
    )
    with accounts(seed) as service:
        service.set_key_disabled(sa.client_id, sa.kid, False)
    assert grant(client, sa.assertion(TOKEN_URL, scope=MAIL)).status_code == 200


def test_deleted_key(seed, client, sa) -> None:  # AUTH2-5
    with accounts(seed) as service:
        service.delete_key(sa.client_id, sa.kid)
    refused(
        grant(client, sa.assertion(TOKEN_URL, scope=MAIL)),
        "invalid_grant",
        "The assertion's key (kid) is not a key of this service account.",
    )


def test_deleted_service_account(seed, client, sa) -> None:  # AUTH2-5
    delegate(seed, "acme.example", sa.client_id, "mail.readonly")
    held = grant(client, sa.assertion(TOKEN_URL, scope=MAIL, sub=ALICE)).json()["access_token"]
    with accounts(seed) as service:
        service.clients.delete(sa.client_id)
    refused(
        grant(client, sa.assertion(TOKEN_URL, scope=MAIL)),
        "invalid_grant",
        "This service account is disabled or was deleted.",
    )
    assert (
        client.get("/data/v1/mail/messages", headers={"Authorization": f"Bearer {held}"}).status_code == 401
    )


def test_disabled_service_account(seed, client, sa) -> None:  # AUTH2-5
    with accounts(seed) as service:
        service.clients.set_disabled(sa.client_id, True)
    refused(
        grant(client, sa.assertion(TOKEN_URL, scope=MAIL)),
        "invalid_grant",
        "This service account is disabled or was deleted.",
    )


@pytest.mark.parametrize(
    ("change", "error", "description"),
    [
        (
            {"iss": "stranger@p.iam.testserver.local"},
            "invalid_grant",
            "The assertion's issuer (iss) is not a service account of this server.",
        ),
        (
            {"iss": 42},
            "invalid_grant",
            "The assertion needs an 'iss' claim: the service account's client_email.",
        ),
        (
            {"kid": "0" * 40},
            "invalid_grant",
            "The assertion's key (kid) is not a key of this service account.",
        ),
        (
            {"exp": "soon"},
            "invalid_grant",
            "The assertion needs numeric 'iat' and 'exp' claims (seconds since 1970).",
        ),
        ({"nbf": int(time.time()) + 3000}, "invalid_grant", "The assertion is not valid yet (nbf)."),
        ({"scope": ""}, "invalid_scope", "Name the scopes the token needs in the assertion's 'scope' claim."),
        (
            {"scope": "https://elsewhere.example/auth/x"},
            "invalid_scope",
            "The request names a scope this server does not know.",
        ),
        (
            {"scope": ["a"]},
            "invalid_scope",
            "The assertion's 'scope' claim must be a space-separated string.",
        ),
        (
            {"sub": "not an address"},
            "invalid_grant",
            "The assertion's 'sub' must be the email address of a user.",
        ),
    ],
    ids=[
        "unknown-iss",
        "iss-not-a-string",
        "unknown-kid",
        "exp-not-a-number",
        "nbf",
        "no-scope",
        "unknown-scope",
        "scope-list",
        "bad-sub",
    ],
)
def test_malformed_assertions(
    client, sa, change: dict[str, Any], error: str, description: str
) -> None:  # AUTH2-5
    change = dict(change)  # the parameter is shared by both engines' runs: never mutate it
    kid = change.pop("kid", None)
    claims = {"scope": MAIL, **change}
    refused(grant(client, sa.assertion(TOKEN_URL, kid=kid, **claims)), error, description)


def test_an_undeclared_scope_without_sub(seed, client) -> None:  # AUTH2-5
    own = service_account(seed, verified=False)  # its project declared nothing
    refused(
        grant(client, own.assertion(TOKEN_URL, scope=MAIL)),
        "invalid_scope",
        "The service account's project has not declared mail.readonly: declare it, or act for a "
        "user of an organization that delegated it (sub).",
    )


def test_not_a_jwt_and_no_assertion(client, sa) -> None:  # AUTH2-5
    refused(grant(client, "not-a-jwt"), "invalid_grant", "Invalid JWT assertion.")
    r = client.post("/token", data={"grant_type": JWT_BEARER})
    refused(r, "invalid_request", "Missing 'assertion' in request.")
    unsigned = sa.assertion(TOKEN_URL, scope=MAIL).rsplit(".", 1)[0] + "."
    refused(
        grant(client, unsigned),
        "invalid_grant",
        "The assertion's signature does not verify with its key (kid).",
    )


def test_discovery_advertises_the_grant(client) -> None:  # AUTH2-5
    meta = client.get("/.well-known/openid-configuration").json()
    assert JWT_BEARER in meta["grant_types_supported"]


def test_the_policy_gate_runs_on_this_grant_too(seed, client, sa) -> None:  # AUTH2-5 LIMIT-6
    # The TokenGate hook registered with the grant: a suspended app's service account gets nothing.
    with seed.db.unit_of_work() as s:
        project = s.scalar(select(Project).join(Client).where(Client.client_id == sa.client_id))
        assert project is not None
        project.suspended_at, project.suspended_reason = int(time.time()), "spam"
    refused(
        grant(client, sa.assertion(TOKEN_URL, scope=MAIL)),
        "unauthorized_client",
        "The platform suspended this app for breaking its rules: spam. It cannot reach your account.",
    )
