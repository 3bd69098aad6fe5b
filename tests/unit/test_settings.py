"""Settings refuse development defaults in production."""

from typing import Any

import pytest
from pydantic import ValidationError

from consentry.settings import Settings

#: The suite hashes passwords at the "fast" cost (tests/support/suite_env.py), which production refuses.
PRODUCTION: dict[str, Any] = {"environment": "production", "password_hash_cost": "standard"}


def test_production_refuses_dev_secret_and_http_issuer():
    with pytest.raises(ValidationError, match="SECRET_KEY"):
        Settings(**PRODUCTION, issuer="https://id.example.org")
    with pytest.raises(ValidationError, match="https"):
        Settings(**PRODUCTION, secret_key="x" * 40, issuer="http://id.example.org")
    ok = Settings(**PRODUCTION, secret_key="x" * 40, issuer="https://id.example.org/")
    assert ok.issuer_url == "https://id.example.org" and ok.secure_cookies


def test_production_refuses_the_test_suites_password_cost(monkeypatch):
    monkeypatch.setenv("CONSENTRY_PASSWORD_HASH_COST", "fast")
    with pytest.raises(ValidationError, match="CONSENTRY_PASSWORD_HASH_COST=fast is for test suites"):
        Settings(environment="production", secret_key="x" * 40, issuer="https://id.example.org")
    assert Settings(environment="test").password_hash_cost == "fast"
    monkeypatch.setenv("CONSENTRY_PASSWORD_HASH_COST", "cheap")
    with pytest.raises(ValidationError, match="password_hash_cost"):
        Settings(environment="test")


def test_environment_variables_are_read(monkeypatch):
    monkeypatch.setenv("CONSENTRY_DATABASE_URL", "sqlite:////tmp/x.db")
    monkeypatch.setenv("CONSENTRY_ISSUER", "http://127.0.0.1:9999")
    s = Settings()
    assert (
        s.database_url == "sqlite:////tmp/x.db"
        and s.scope_uri("mail.send") == "http://127.0.0.1:9999/auth/mail.send"
    )
    assert s.scope_uri("openid") == "openid"
