"""``consentry client create --type service`` (the key file) and ``consentry client keys | key-add
| key-disable | key-enable | key-delete`` (AUTH2-5), through the real executable on both engines.

The private key of a generated pair is printed once, in the key file google-auth reads, and never
stored: the database keeps the public JWK only. Every change is audited with the CLI's channel.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from consentry.domain.service_accounts import keys
from tests.cli.test_cli import ISSUER, consentry, db_file, failed, ok, pg_url, query, sqlite_url

__all__ = ["db_file", "pg_url", "sqlite_url"]  # fixtures of test_cli, used through ``url``

OWNER = "ada@vendor.example.org"


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def url(request: pytest.FixtureRequest) -> Iterator[str]:
    """A migrated database with a project owner and a project, on each engine."""
    if request.param == "sqlite":
        database: str = request.getfixturevalue("sqlite_url")
    else:
        database = request.getfixturevalue("pg_url")
        ok(database, "db", "upgrade")
    ok(database, "user", "add", OWNER, "--password-stdin", stdin="long-enough-password-1\n")
    ok(database, "project", "create", "Vendor Sync", "--owner", OWNER)
    yield database


def _json(value: Any) -> Any:
    return json.loads(value) if isinstance(value, str) else value


def stored_keys(url: str) -> list[tuple[str, dict[str, Any], str, Any]]:
    rows = query(url, "SELECT kid, public_jwk, origin, disabled_at FROM service_account_keys ORDER BY id")
    return [(kid, _json(jwk), origin, disabled) for kid, jwk, origin, disabled in rows]


def test_create_service_prints_the_key_file_once(url: str) -> None:  # AUTH2-5
    created = ok(url, "client", "create", "Vendor Sync", "--type", "service")
    assert created["client_secret"]  # client credentials keep working
    key_file = created["key_file"]
    assert set(key_file) == {
        "type",
        "client_id",
        "client_email",
        "private_key_id",
        "private_key",
        "token_uri",
    }
    assert key_file["type"] == "service_account" and key_file["client_id"] == created["client_id"]
    assert key_file["token_uri"] == f"{ISSUER}/token"
    assert key_file["client_email"].endswith("@vendor-sync.iam.cli.consentry.test")
    private = serialization.load_pem_private_key(key_file["private_key"].encode(), password=None)
    assert key_file["private_key"].startswith("-----BEGIN PRIVATE KEY-----")  # PKCS#8
    assert private.key_size == 2048  # type: ignore[union-attr]
    # Only the public half is kept.
    ((kid, jwk, origin, disabled),) = stored_keys(url)
    assert (kid, origin, disabled) == (key_file["private_key_id"], "generated", None)
    assert set(jwk) == {"kty", "n", "e", "kid", "alg", "use"}
    client_email = query(
        url, "SELECT service_email FROM clients WHERE client_id = :c", c=created["client_id"]
    )
    assert client_email == [(key_file["client_email"],)]
    listed = ok(url, "client", "keys", created["client_id"])
    assert listed["client_email"] == key_file["client_email"]
    assert [(k["kid"], k["origin"], k["state"]) for k in listed["keys"]] == [(kid, "generated", "enabled")]
    # Other client types have no key file.
    web = ok(
        url, "client", "create", "Vendor Sync", "--type", "web", "--redirect-uri", "https://v.example/cb"
    )
    assert "key_file" not in web
    assert failed(url, "client", "keys", web["client_id"])["error"] == "not_a_service_account"


def test_key_lifecycle(url: str, tmp_path: Path) -> None:  # AUTH2-5
    cid = ok(url, "client", "create", "Vendor Sync", "--type", "service")["client_id"]
    second = ok(url, "client", "key-add", cid)
    assert second["origin"] == "generated" and second["key_file"]["private_key_id"] == second["kid"]

    pair = keys.generate()
    private = serialization.load_pem_private_key(pair.private_pem.encode(), password=None)
    pem = tmp_path / "public.pem"
    pem.write_bytes(
        private.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )
    )
    uploaded = ok(url, "client", "key-add", cid, "--public-key", str(pem))
    assert uploaded["origin"] == "uploaded" and "key_file" not in uploaded
    jwk_file = tmp_path / "public.jwk"
    jwk_file.write_text(json.dumps({"keys": [pair.public_jwk]}))
    assert ok(url, "client", "key-add", cid, "--public-key", str(jwk_file))["origin"] == "uploaded"

    secret = tmp_path / "private.pem"
    secret.write_text(pair.private_pem)
    assert (
        failed(url, "client", "key-add", cid, "--public-key", str(secret))["error"] == "private_key_uploaded"
    )
    ec_pem = tmp_path / "ec.pem"
    ec_pem.write_bytes(
        ec.generate_private_key(ec.SECP256R1())
        .public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    )
    assert failed(url, "client", "key-add", cid, "--public-key", str(ec_pem))["error"] == "invalid_public_key"
    missing = failed(url, "client", "key-add", cid, "--public-key", str(tmp_path / "nope.pem"))
    assert missing["error"] == "invalid_public_key"

    disabled = ok(url, "client", "key-disable", cid, uploaded["kid"])
    assert disabled["state"] == "disabled" and disabled["disabled_at"]
    assert ok(url, "client", "key-enable", cid, uploaded["kid"])["state"] == "enabled"
    assert ok(url, "client", "key-delete", cid, second["kid"]) == {
        "client_id": cid,
        "kid": second["kid"],
        "deleted": True,
    }
    assert failed(url, "client", "key-delete", cid, second["kid"])["error"] == "not_found"
    assert len(ok(url, "client", "keys", cid)["keys"]) == 3

    events = query(
        url, "SELECT tag, data FROM audit_events WHERE tag LIKE 'project:client:key:%' ORDER BY id"
    )
    assert [tag for tag, _ in events] == [
        "project:client:key:add",
        "project:client:key:add",
        "project:client:key:add",
        "project:client:key:add",
        "project:client:key:disable",
        "project:client:key:enable",
        "project:client:key:delete",
    ]
    assert all(_json(data)["channel"] == "cli" and _json(data)["client_id"] == cid for _, data in events)
    # Nothing private anywhere: not in the keys, not in the audit log.
    assert all("d" not in jwk for _, jwk, _, _ in stored_keys(url))
    assert not any("PRIVATE" in json.dumps(_json(data)) for _, data in events)

    # A deleted service account's keys cannot change; its client is restored first.
    ok(url, "client", "delete", cid)
    assert failed(url, "client", "key-add", cid, code=2)["error"] == "deleted_client"


def test_human_output_hides_nothing_it_should_show(url: str) -> None:  # AUTH2-5
    cid = ok(url, "client", "create", "Vendor Sync", "--type", "service")["client_id"]
    r = consentry(url, "client", "keys", cid)
    assert r.code == 0 and "generated" in r.stdout and "enabled" in r.stdout, r.stdout
