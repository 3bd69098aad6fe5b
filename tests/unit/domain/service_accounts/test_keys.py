"""Service-account keys and addresses (AUTH2-5): what is generated, what an upload may be."""

from __future__ import annotations

import datetime
import json

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import NameOID

from consentry.domain.service_accounts import keys
from consentry.domain.service_accounts.addresses import service_email, slug
from consentry.errors import InvalidInput


def _pem(key: rsa.RSAPublicKey | ec.EllipticCurvePublicKey) -> str:
    return key.public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    ).decode()


def test_a_generated_pair_is_rsa_2048_pkcs8_with_a_public_jwk() -> None:  # AUTH2-5
    pair = keys.generate()
    private = serialization.load_pem_private_key(pair.private_pem.encode(), password=None)
    assert isinstance(private, rsa.RSAPrivateKey) and private.key_size == 2048
    assert pair.private_pem.startswith("-----BEGIN PRIVATE KEY-----")
    assert len(pair.kid) == 40 and int(pair.kid, 16) >= 0
    assert pair.public_jwk["kid"] == pair.kid and pair.public_jwk["alg"] == "RS256"
    assert not {"d", "p", "q", "dp", "dq", "qi"} & set(pair.public_jwk)
    assert keys.generate().kid != pair.kid


def test_uploads_in_every_public_form_give_the_same_key() -> None:  # AUTH2-5
    private = rsa.generate_private_key(public_exponent=65537, key_size=3072)
    public = private.public_key()
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "sa")])
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(public)
        .serial_number(1)
        .not_valid_before(datetime.datetime(2024, 1, 1))
        .not_valid_after(datetime.datetime(2034, 1, 1))
        .sign(private, hashes.SHA256())
    )
    pkcs1 = public.public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.PKCS1).decode()
    jwk = keys.public_jwk(public, "k")
    forms = [_pem(public), pkcs1, cert.public_bytes(serialization.Encoding.PEM).decode(), json.dumps(jwk)]
    forms.append(json.dumps({"keys": [jwk]}))
    numbers = {keys.parse_public(text).public_numbers() for text in forms}
    assert numbers == {public.public_numbers()}


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("", "invalid_public_key"),
        ("x" * 20_000, "invalid_public_key"),
        ("-----BEGIN PUBLIC KEY-----\nnot base64\n-----END PUBLIC KEY-----", "invalid_public_key"),
        ("{not json", "invalid_public_key"),
        ('{"kty": "EC", "crv": "P-256"}', "invalid_public_key"),
        ('{"kty": "RSA", "n": "AQAB"}', "invalid_public_key"),
        ('{"kty": "RSA", "n": "AQAB", "e": "AQAB", "d": "AQAB"}', "private_key_uploaded"),
    ],
    ids=["empty", "huge", "bad-pem", "bad-json", "ec-jwk", "bad-rsa-jwk", "private-jwk"],
)
def test_what_an_upload_may_not_be(text: str, code: str) -> None:  # AUTH2-5
    with pytest.raises(InvalidInput) as err:
        keys.parse_public(text)
    assert err.value.code == code


def test_private_weak_and_non_rsa_keys_are_refused() -> None:  # AUTH2-5
    with pytest.raises(InvalidInput) as private:
        keys.parse_public(keys.generate().private_pem)
    assert private.value.code == "private_key_uploaded"
    with pytest.raises(InvalidInput) as weak:
        keys.parse_public(_pem(rsa.generate_private_key(public_exponent=65537, key_size=1024).public_key()))
    assert weak.value.code == "weak_public_key"
    with pytest.raises(InvalidInput) as curve:
        keys.parse_public(_pem(ec.generate_private_key(ec.SECP256R1()).public_key()))
    assert curve.value.code == "invalid_public_key"


def test_service_addresses() -> None:  # AUTH2-5
    email = service_email("Nightly Sync (service)", "Acme Mail!", "https://id.acme.example:8443")
    local, domain = email.split("@")
    assert local.startswith("nightly-sync-service-") and len(local) == len("nightly-sync-service-") + 4
    assert domain == "acme-mail.iam.id.acme.example"
    assert service_email("x", "y", "https://h.example") != service_email("x", "y", "https://h.example")
    assert slug("***") == "sa" and slug("a" * 50) == "a" * 30
