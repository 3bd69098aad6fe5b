"""Secure AuthSub signatures: PLATFORM_RULES §4 vector 4 and the checks around it (AUTH3-5)."""

from __future__ import annotations

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import serialization

from consentry.protocol.authsub import signature
from tests.support.authsub import PRIVATE_TEST_KEY, VECTOR_DATA, VECTOR_SIG, certificate_for, other_key_pem


def test_vector_4_our_signer_reproduces_gdatas_signature() -> None:
    # AUTH3-5, vector 4: gauth_test.test_generate_signature
    data = signature.build_data("GET", "http://example.com/foo?a=1", 1134567890, "p234908")
    assert data == VECTOR_DATA
    sig = signature.sign(data, PRIVATE_TEST_KEY)
    assert sig.startswith("GeBfeIDnT41dvLquPgDB4U5D")
    assert sig == VECTOR_SIG


def test_vector_4_our_verifier_accepts_gdatas_signature() -> None:
    # AUTH3-5, vector 4: with the certificate the app would register for that key
    signature.verify(VECTOR_DATA, VECTOR_SIG, "rsa-sha1", certificate_for())


def test_vector_4_put_data_string() -> None:
    # vector 4: gauth_test.test_build_data
    assert (
        signature.build_data("PUT", "http://example.com/foo?a=1", 1234567890, "mynonce")
        == "PUT http://example.com/foo?a=1 1234567890 mynonce"
    )
    parsed = signature.parse_data("PUT http://example.com/foo?a=1 1234567890 mynonce")
    assert parsed == signature.SignedData("PUT", "http://example.com/foo?a=1", "1234567890", "mynonce")


def test_a_bare_public_key_works_as_the_registered_certificate() -> None:
    # AUTH3-5: apps uploaded either a certificate or a public key
    cert = certificate_for()
    pub = (
        x509.load_pem_x509_certificate(cert.encode())
        .public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )
    signature.verify(VECTOR_DATA, VECTOR_SIG, "rsa-sha1", pub)


@pytest.mark.parametrize(
    ("data", "sig", "sigalg", "message"),
    [
        (VECTOR_DATA.replace("p234908", "p234909"), VECTOR_SIG, "rsa-sha1", "does not match"),
        (VECTOR_DATA, "A" + VECTOR_SIG[1:], "rsa-sha1", "does not match"),
        (VECTOR_DATA, "not base64!", "rsa-sha1", "not base64"),
        (VECTOR_DATA, VECTOR_SIG, "dsa-sha1", "dsa-sha1 is not supported"),
        (VECTOR_DATA, VECTOR_SIG, "hmac-sha1", "must be rsa-sha1"),
    ],
)
def test_bad_signatures_are_refused_with_a_reason(data: str, sig: str, sigalg: str, message: str) -> None:
    # AUTH3-5
    with pytest.raises(signature.SignatureError, match=message):
        signature.verify(data, sig, sigalg, certificate_for())


def test_a_signature_by_another_key_is_refused() -> None:
    # AUTH3-5: only the registered key counts
    forged = signature.sign(VECTOR_DATA, other_key_pem())
    with pytest.raises(signature.SignatureError, match="does not match"):
        signature.verify(VECTOR_DATA, forged, "rsa-sha1", certificate_for())


def test_an_unreadable_certificate_is_a_signature_error_not_a_crash() -> None:
    with pytest.raises(signature.SignatureError, match="cannot be read"):
        signature.verify(
            VECTOR_DATA, VECTOR_SIG, "rsa-sha1", "-----BEGIN CERTIFICATE-----\nxx\n-----END CERTIFICATE-----"
        )


@pytest.mark.parametrize(
    "data",
    [
        "GET http://e.com/",
        "GET  http://e.com/ 1 n",
        "GET http://e.com/ abc n",
        "GET http://e.com/ 1 n extra",
        "",
    ],
)
def test_data_must_be_four_fields(data: str) -> None:
    with pytest.raises(signature.SignatureError):
        signature.parse_data(data)


@pytest.mark.parametrize(
    ("signed", "actual", "same"),
    [
        ("http://example.com/foo?a=1", "http://example.com/foo?a=1", True),
        ("http://EXAMPLE.com:80/foo?a=1", "http://example.com/foo?a=1", True),
        ("https://example.com:443/f%6Fo", "https://example.com/foo", True),
        ("http://example.com/foo?b=2&a=1", "http://example.com/foo?a=1&b=2", True),
        ("http://example.com/foo", "http://example.com/foo?a=1", False),
        ("http://example.com/foo?a=2", "http://example.com/foo?a=1", False),
        ("http://example.com/bar?a=1", "http://example.com/foo?a=1", False),
        ("https://example.com/foo?a=1", "http://example.com/foo?a=1", False),
        ("http://example.com:8080/foo?a=1", "http://example.com/foo?a=1", False),
        ("http://evil.example/foo?a=1", "http://example.com/foo?a=1", False),
        ("/foo?a=1", "http://example.com/foo?a=1", False),
        ("http://example.com:99999/foo", "http://example.com/foo", False),
    ],
)
def test_the_signed_url_must_name_the_requested_resource(signed: str, actual: str, same: bool) -> None:
    # AUTH3-5: a signature for one URL never passes at another
    assert signature.same_url(signed, actual) is same
