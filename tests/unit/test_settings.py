"""Settings refuse development defaults in production."""

import pytest
from pydantic import ValidationError

from consentry.settings import Settings


def test_production_refuses_dev_secret_and_http_issuer():
    with pytest.raises(ValidationError, match="SECRET_KEY"):
        Settings(environment="production", issuer="https://id.example.org")
    with pytest.raises(ValidationError, match="https"):
        Settings(environment="production", secret_key="x" * 40, issuer="http://id.example.org")
    ok = Settings(environment="production", secret_key="x" * 40, issuer="https://id.example.org/")
    assert ok.issuer_url == "https://id.example.org" and ok.secure_cookies


def test_environment_variables_are_read(monkeypatch):
    monkeypatch.setenv("CONSENTRY_DATABASE_URL", "sqlite:////tmp/x.db")
    monkeypatch.setenv("CONSENTRY_ISSUER", "http://127.0.0.1:9999")
    s = Settings()
    assert (
        s.database_url == "sqlite:////tmp/x.db"
        and s.scope_uri("mail.send") == "http://127.0.0.1:9999/auth/mail.send"
    )
    assert s.scope_uri("openid") == "openid"
