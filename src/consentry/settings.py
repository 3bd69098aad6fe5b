"""Configuration, read once from ``CONSENTRY_*`` environment variables.

Every knob lives here, documented by section, so an operator reads one file.
Development defaults are convenient and loudly refused in production.
"""

from __future__ import annotations

import logging
import os
from functools import cached_property
from typing import Literal
from urllib.parse import urlsplit

from pydantic import Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

log = logging.getLogger(__name__)

DEV_SECRET_KEY = "dev-only-insecure-secret-key-change-me-0123456789"


class Settings(BaseSettings):
    """All of Consentry's settings; see docs/operators.md for the long form."""

    model_config = SettingsConfigDict(env_prefix="CONSENTRY_", extra="ignore")

    # --- deployment -------------------------------------------------------
    environment: Literal["development", "production", "test"] = "development"
    issuer: str = "http://127.0.0.1:8000"
    database_url: str = "sqlite:///./var/consentry.db"
    smtp_url: str = "smtp://127.0.0.1:1025"

    # --- secrets ----------------------------------------------------------
    #: Root secret: keys for token hashes, CSRF, and the local keyring derive from it.
    secret_key: str = DEV_SECRET_KEY

    # --- lifetimes (seconds) ----------------------------------------------
    access_token_ttl: int = 3600
    authorization_code_ttl: int = 300
    refresh_token_ttl: int = 180 * 24 * 3600  # unused for 6 months -> dead, as on the reference platform
    testing_refresh_token_ttl: int = 7 * 24 * 3600  # VERIFY-11: apps in Testing
    id_token_ttl: int = 3600
    session_ttl: int = 14 * 24 * 3600
    flow_ttl: int = 1800
    device_code_ttl: int = 1800
    device_poll_interval: int = 5

    # --- sign-in protection -----------------------------------------------
    #: Failed sign-ins per account within ``login_window`` before a pause.
    login_max_failures: int = 10
    login_window: int = 900

    # --- server -----------------------------------------------------------
    workers: int = Field(default_factory=lambda: os.cpu_count() or 1)
    #: Seconds between purges of expired rows by each server process (docs/maintenance.md);
    #: 0 turns the janitor off, for deployments that schedule ``consentry purge`` instead.
    janitor_interval: int = Field(default=600, ge=0)

    @model_validator(mode="after")
    def _refuse_dev_defaults_in_production(self) -> Settings:
        if self.environment == "production":
            if self.secret_key == DEV_SECRET_KEY or len(self.secret_key) < 32:
                raise ValueError("CONSENTRY_SECRET_KEY must be set to 32+ random characters in production")
            if not self.issuer.startswith("https://"):
                raise ValueError("CONSENTRY_ISSUER must be https in production")
        elif self.secret_key == DEV_SECRET_KEY and self.environment == "development":
            log.warning("Using the development secret key; never do this in production")
        return self

    @cached_property
    def issuer_url(self) -> str:
        return self.issuer.rstrip("/")

    @cached_property
    def secure_cookies(self) -> bool:
        return urlsplit(self.issuer).scheme == "https"

    def scope_uri(self, name: str) -> str:
        """Scope URI for a catalogue name: ``{issuer}/auth/NAME``; sign-in scopes stay bare."""
        if name in ("openid", "email", "profile"):
            return name
        return f"{self.issuer_url}/auth/{name}"
