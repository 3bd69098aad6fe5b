"""google-auth's service-account credentials against a live Consentry (AUTH2-5), both engines.

The key file comes from the real ``consentry client create PROJECT --type service`` and the
delegation from the real ``consentry org delegate``; google-auth signs and refreshes on its own,
then calls a sample data API with the token it got. Its only setting for Consentry: the assertion's
audience, which google-auth otherwise fixes to the reference platform's token endpoint.
"""

from __future__ import annotations

from typing import Any

import pytest
from google.auth.exceptions import RefreshError
from google.auth.transport.requests import AuthorizedSession, Request
from google.oauth2 import service_account

from tests.cli.test_cli import consentry
from tests.support.live import LiveServer
from tests.support.seed import Seeder

ALICE = "alice@acme.example"
OWNER = "owner@vendor.example"


def cli(database_url: str, server: LiveServer, *args: str) -> dict[str, Any]:
    """The real console script, as the operator of that server runs it."""
    r = consentry(database_url, *args, "--json", env={"CONSENTRY_ISSUER": server.url})
    assert r.code == 0, r.stdout + r.stderr
    return r.json()


def test_google_auth_service_account_then_domain_wide_delegation(
    database_url: str, live_server: tuple[LiveServer, Seeder]
) -> None:  # AUTH2-5
    server, seed = live_server
    seed.user(ALICE, org="acme.example")
    seed.user(OWNER)
    seed.sample_data(ALICE)
    mail = f"{server.url}/auth/mail.readonly"
    cli(database_url, server, "project", "create", "Vendor Sync", "--owner", OWNER)
    cli(database_url, server, "project", "scopes", "Vendor Sync", "--add", "mail.readonly")
    created = cli(database_url, server, "client", "create", "Vendor Sync", "--type", "service")
    key_file = created["key_file"]
    assert key_file["token_uri"] == f"{server.url}/token" and key_file["type"] == "service_account"

    creds = service_account.Credentials.from_service_account_info(
        key_file, scopes=[mail], additional_claims={"aud": key_file["token_uri"]}
    )
    creds.refresh(Request())
    assert creds.token and creds.valid
    own = AuthorizedSession(creds).get(f"{server.url}/data/v1/mail/messages")
    assert own.status_code == 401  # its own token reaches no user's mailbox

    as_alice = creds.with_subject(ALICE)
    with pytest.raises(RefreshError) as refused:
        as_alice.refresh(Request())
    assert refused.value.args[1] == {
        "error": "unauthorized_client",
        "error_description": f"Domain-wide delegation is missing for {ALICE}: no admin of "
        "acme.example delegated mail.readonly to this service account.",
    }

    delegated = cli(
        database_url,
        server,
        "org",
        "delegate",
        "acme.example",
        created["client_id"],
        "--scope",
        "mail.readonly",
    )
    assert delegated["scopes"] == ["mail.readonly"]
    as_alice = creds.with_subject(ALICE)
    as_alice.refresh(Request())
    inbox = AuthorizedSession(as_alice).get(f"{server.url}/data/v1/mail/messages")
    assert inbox.status_code == 200, inbox.text
    assert len(inbox.json()["messages"]) == 3
