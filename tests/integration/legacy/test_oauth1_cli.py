"""``consentry client create PROJECT --type oauth1 --domain D [--name N] [--certificate PEM]`` and
``client show`` for a consumer, through the real executable on both engines (AUTH1-13)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from consentry.domain.keys.envelope import Envelope
from consentry.domain.legacy.consumers import open_secret
from tests.cli.test_cli import SECRET, db_file, failed, ok, pg_url, query, sqlite_url
from tests.support.oauth1 import PRIVATE_TEST_KEY, certificate

__all__ = ["db_file", "pg_url", "sqlite_url"]  # fixtures of test_cli, used through ``url``
OWNER = "ops@legacy.example.org"


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def url(request: pytest.FixtureRequest) -> Iterator[str]:
    if request.param == "sqlite":
        database: str = request.getfixturevalue("sqlite_url")
    else:
        database = request.getfixturevalue("pg_url")
        ok(database, "db", "upgrade")
    ok(database, "user", "add", OWNER, "--password-stdin", stdin="long-enough-password-1\n")
    ok(database, "project", "create", "Old Sync", "--owner", OWNER, "--status", "production")
    yield database


def test_create_consumer(url: str, tmp_path: Path) -> None:  # AUTH1-13 AUTH1-2
    pem = tmp_path / "app.pem"
    pem.write_text(certificate())
    out = ok(
        url,
        "client",
        "create",
        "Old Sync",
        "--type",
        "oauth1",
        "--domain",
        "Sync.Example.com",
        "--name",
        "Old Sync",
        "--certificate",
        str(pem),
    )
    assert out["type"] == "oauth1" and out["domain"] == "sync.example.com" and out["certificate"] is True
    assert out["name"] == "Old Sync" and out["redirect_uris"] == [] and out["client_secret"]
    key, secret = out["client_id"], out["client_secret"]
    ((sealed, hashed, cert),) = query(
        url, "SELECT secret_sealed, secret_hash, certificate FROM clients WHERE client_id = :k", k=key
    )
    assert (
        hashed is None
        and secret.encode() not in bytes(sealed)
        and cert.startswith("-----BEGIN CERTIFICATE-----")
    )
    assert open_secret(Envelope(SECRET), key, bytes(sealed)) == secret  # sealed, and opens for HMAC
    shown = ok(url, "client", "show", key)
    assert (
        shown["type"] == "oauth1" and shown["domain"] == "sync.example.com" and shown["certificate"] is True
    )
    plain = ok(url, "client", "create", "Old Sync", "--type", "oauth1", "--domain", "other.example.com")
    assert plain["certificate"] is False and plain["name"] == "Old Sync (OAuth 1.0a)"


def test_create_consumer_refusals(url: str, tmp_path: Path) -> None:  # AUTH1-13
    assert failed(url, "client", "create", "Old Sync", "--type", "oauth1")["error"] == "invalid_domain"
    bad = failed(url, "client", "create", "Old Sync", "--type", "oauth1", "--domain", "https://x.example/")
    assert bad["error"] == "invalid_domain"
    private = tmp_path / "key.pem"
    private.write_text(PRIVATE_TEST_KEY)
    err = failed(
        url,
        "client",
        "create",
        "Old Sync",
        "--type",
        "oauth1",
        "--domain",
        "x.example",
        "--certificate",
        str(private),
    )
    assert err["error"] == "invalid_certificate" and "private key" in err["message"]
    junk = tmp_path / "junk.pem"
    junk.write_text("hello")
    assert (
        failed(
            url,
            "client",
            "create",
            "Old Sync",
            "--type",
            "oauth1",
            "--domain",
            "x.example",
            "--certificate",
            str(junk),
        )["error"]
        == "invalid_certificate"
    )
    missing = failed(
        url,
        "client",
        "create",
        "Old Sync",
        "--type",
        "oauth1",
        "--domain",
        "x.example",
        "--certificate",
        str(tmp_path / "nope.pem"),
    )
    assert missing["error"] == "invalid_certificate"
    web = failed(
        url,
        "client",
        "create",
        "Old Sync",
        "--type",
        "web",
        "--redirect-uri",
        "https://a.example/cb",
        "--domain",
        "x.example",
    )
    assert web["error"] == "invalid_option"
    assert query(url, "SELECT count(*) FROM clients WHERE client_type = 'oauth1'")[0][0] == 0


def test_rotate_a_consumer_secret(url: str) -> None:  # AUTH1-13: a leaked secret is replaced, the key kept
    out = ok(url, "client", "create", "Old Sync", "--type", "oauth1", "--domain", "sync.example.com")
    key, first = out["client_id"], out["client_secret"]
    rotated = ok(url, "client", "rotate-secret", key)
    second = rotated["client_secret"]
    assert second and second != first
    ((sealed,),) = query(url, "SELECT secret_sealed FROM clients WHERE client_id = :k", k=key)
    assert open_secret(Envelope(SECRET), key, bytes(sealed)) == second
