"""OAuth 1.0a consumers: registration checks, the sealed secret, ``anonymous`` (AUTH1-2, AUTH1-13)."""

from __future__ import annotations

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from sqlalchemy import select

from consentry.domain.keys.envelope import Envelope
from consentry.domain.legacy import consumers
from consentry.domain.scopes.catalogue import Catalogue
from consentry.errors import InvalidInput
from consentry.storage.tables import Client
from tests.support.oauth1 import PRIVATE_TEST_KEY, certificate, consumer, public_key


def test_certificate_or_rsa_public_key_only() -> None:  # AUTH1-13
    for good in (certificate(), public_key()):
        assert consumers.valid_certificate(good).startswith("-----BEGIN")
        assert consumers.public_key_pem(good) == public_key()
    ec_key = ec.generate_private_key(ec.SECP256R1()).public_key()
    ec_pem = ec_key.public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    ).decode()
    for bad in (
        PRIVATE_TEST_KEY,
        ec_pem,
        "not a pem",
        "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----",
    ):
        with pytest.raises(InvalidInput) as refused:
            consumers.valid_certificate(bad)
        assert refused.value.code == "invalid_certificate"


@pytest.mark.parametrize(
    "bad", ["", "https://example.com", "example.com/path", "localhost", "-x.example", "a b.example"]
)
def test_domain_is_a_host_name(bad: str) -> None:  # AUTH1-13
    with pytest.raises(InvalidInput):
        consumers.valid_domain(bad)
    assert consumers.valid_domain("Apps.Example.COM.") == "apps.example.com"


def test_secret_sealed_and_loaded(seed) -> None:  # AUTH1-2 AUTH1-13
    c = consumer(seed, certificate=certificate())
    other = consumer(seed, domain="b.example.org")
    envelope = Envelope(seed.settings.secret_key)
    catalogue = Catalogue(seed.settings.issuer)
    with seed.db.unit_of_work() as s:
        row = s.scalar(select(Client).where(Client.client_id == c.key))
        assert row is not None and row.client_type == "oauth1" and row.secret_hash is None
        assert row.secret_sealed is not None and c.secret.encode() not in row.secret_sealed
        loaded = consumers.load(s, envelope, catalogue, c.key)
        assert loaded is not None and loaded.secret == c.secret and loaded.registered
        assert loaded.public_key == public_key() and loaded.domain == "app.example.org"
        anon = consumers.load(s, envelope, catalogue, "anonymous")
        assert (
            anon is not None
            and anon.secret == "anonymous"
            and anon.public_key is None
            and not anon.registered
        )
        assert consumers.load(s, envelope, catalogue, "unknown.apps.consentry") is None
        # A sealed secret moved to another consumer's row does not open there.
        row2 = s.get(Client, other.pk)
        assert row2 is not None
        row2.secret_sealed = row.secret_sealed
        s.flush()
        with pytest.raises(Exception):
            consumers.load(s, envelope, catalogue, other.key)
