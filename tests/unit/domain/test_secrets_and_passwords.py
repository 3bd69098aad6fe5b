"""Keyed hashes for machine secrets, argon2id for passwords (SEC-3)."""

import pytest

from consentry.domain.accounts import passwords
from consentry.domain.accounts.passwords import COST_ENV, hash_password, verify_password
from consentry.domain.keys.envelope import Envelope
from consentry.domain.secrets import Hasher, new_secret


def test_keyed_hash_depends_on_the_root_secret():
    a, b = Hasher("root-secret-a" * 3), Hasher("root-secret-b" * 3)
    assert a.hash("token") != b.hash("token")
    assert a.matches("token", a.hash("token")) and not a.matches("token", b.hash("token"))
    assert not a.matches("token", None)


def test_generated_secrets_have_256_bits():
    s = new_secret()
    assert len(s) >= 43 and new_secret() != s


def test_passwords_are_argon2id():  # SEC-3
    h = hash_password("hunter2hunter2")
    assert h.startswith("$argon2id$") and verify_password(h, "hunter2hunter2")
    assert not verify_password(h, "wrong") and not verify_password(None, "anything")


@pytest.mark.parametrize(("cost", "params"), [("standard", "m=65536,t=3,p=4"), ("fast", "m=1024,t=1,p=1")])
def test_password_cost_comes_from_the_setting(
    monkeypatch: pytest.MonkeyPatch, cost: str, params: str
) -> None:
    # SEC-3: production hashes at argon2-cffi's default cost; a hash of either cost verifies under the other.
    monkeypatch.setenv(COST_ENV, cost)
    passwords._hasher.cache_clear()
    try:
        h = hash_password("hunter2hunter2")
        assert h.startswith(f"$argon2id$v=19${params}$")
        monkeypatch.setenv(COST_ENV, "fast" if cost == "standard" else "standard")
        passwords._hasher.cache_clear()
        assert verify_password(h, "hunter2hunter2") and not verify_password(h, "hunter2hunter3")
    finally:
        passwords._hasher.cache_clear()


def test_envelope_binds_associated_data():  # SEC-2 SEC-4
    from cryptography.exceptions import InvalidTag

    env = Envelope("root" * 10)
    blob = env.seal(b"private key", b"kid-1")
    assert b"private key" not in blob and env.open(blob, b"kid-1") == b"private key"
    with pytest.raises(InvalidTag):
        env.open(blob, b"kid-2")
    with pytest.raises(InvalidTag):
        Envelope("other" * 10).open(blob, b"kid-1")
