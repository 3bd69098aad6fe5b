"""Configuration, read once from ``CONSENTRY_*`` environment variables.

Every knob lives here, documented by section, so an operator reads one file.
Development defaults are convenient and loudly refused in production.
"""

from __future__ import annotations

import ipaddress
import logging
import os
from datetime import date
from functools import cached_property
from typing import Literal
from urllib.parse import urlsplit

from pydantic import Field, field_validator, model_validator
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

    #: argon2id cost of human passwords (domain/accounts/passwords.py): "standard", or "fast" for
    #: test suites only (refused in production).
    password_hash_cost: Literal["standard", "fast"] = "standard"

    # --- secrets ----------------------------------------------------------
    #: Root secret: keys for token hashes, CSRF, and the local keyring derive from it.
    secret_key: str = DEV_SECRET_KEY

    # --- lifetimes (seconds) ----------------------------------------------
    access_token_ttl: int = 3600
    authorization_code_ttl: int = 300
    refresh_token_ttl: int = 180 * 24 * 3600  # unused for 6 months -> dead, as on the reference platform
    #: VERIFY-11: consent to an app in Testing (and its refresh tokens) lapses after 7 days.
    testing_refresh_token_ttl: int = 7 * 24 * 3600
    id_token_ttl: int = 3600
    session_ttl: int = 14 * 24 * 3600
    flow_ttl: int = 1800
    device_code_ttl: int = 1800
    device_poll_interval: int = 5

    # --- app policy (docs/operators.md, "App policy") ----------------------
    #: The name users read on the unverified-app screen: "not verified by <operator_name>".
    operator_name: str = "Consentry"
    #: VERIFY-11: distinct users, over a project's whole life, who may pass its unverified-app
    #: screen; never reset. 0 lets nobody past.
    unverified_user_cap: int = Field(default=100, ge=0)
    #: Live refresh tokens a user may hold per client; past it the oldest is revoked.
    refresh_tokens_per_client: int = Field(default=100, ge=1)
    #: Seconds a push of a security event waits for the app's endpoint (RFC 8935).
    events_timeout: float = Field(default=5.0, gt=0, le=60)
    #: Days after which an unacknowledged deletion request is flagged to reviewers (DATA-2).
    deletion_overdue_days: int = Field(default=30, ge=1)
    #: SEC-6: who receives the projects' security-incident reports, at once, through the outbox;
    #: empty: ``security@<issuer host>`` (:attr:`security_contact_address`).
    security_contact: str = ""

    # --- sign-in protection (docs/operators.md, "Sign-in protection") ------
    #: Sign-in attempts per account within ``login_window`` before browsers the account has not
    #: signed in from must solve a CAPTCHA. The owner's own browsers are never made to wait.
    login_max_failures: int = Field(default=10, ge=1)
    login_window: int = Field(default=900, ge=60)
    #: Attempts per client address within ``login_window``: past the first, every attempt from the
    #: address needs a CAPTCHA; past the second, the address waits, with backoff (password spraying).
    login_address_captcha: int = Field(default=20, ge=1)
    login_address_limit: int = Field(default=100, ge=1)
    #: How long a browser stays trusted for an account after a successful sign-in.
    trusted_device_ttl: int = 180 * 24 * 3600
    captcha_ttl: int = 600

    # --- accounts (docs/operators.md, "Accounts") ---------------------------
    #: Who may create an account: anyone with an e-mail address they can read ("open"), only
    #: people invited by an organization admin or the operator ("invite"), or nobody but the
    #: operator's CLI ("closed").
    signup: Literal["open", "invite", "closed"] = "invite"
    #: Lifetimes of the mailed single-use links: password reset, invitation, sign-up.
    reset_link_ttl: int = Field(default=30 * 60, ge=60)
    invitation_ttl: int = Field(default=7 * 24 * 3600, ge=600)
    signup_link_ttl: int = Field(default=24 * 3600, ge=600)
    #: Seconds a sign-in may wait between its password and its second step (or a passkey prompt).
    second_step_ttl: int = Field(default=600, ge=60)
    #: Wrong second-step codes before the half-done sign-in is voided (start again with the password).
    second_step_attempts: int = Field(default=5, ge=1)
    #: Changing how one signs in (two-step, passkeys, app passwords) or deleting the account needs
    #: a sign-in at most this many seconds old; older, the password is asked again.
    reauth_window: int = Field(default=10 * 60, ge=60)

    # --- anonymous writers ------------------------------------------------
    #: /authorize requests per minute that store flow state (a visitor sent to sign in), per
    #: client address and per client.
    flow_address_limit: int = Field(default=60, ge=1)
    flow_client_limit: int = Field(default=3000, ge=1)
    #: Device authorization requests per 10 minutes, per client address and per client.
    device_address_limit: int = Field(default=20, ge=1)
    device_client_limit: int = Field(default=1000, ge=1)

    # --- server -----------------------------------------------------------
    workers: int = Field(default_factory=lambda: os.cpu_count() or 1)
    #: Seconds between purges of expired rows by each server process (docs/maintenance.md);
    #: 0 turns the janitor off, for deployments that schedule ``consentry purge`` instead.
    janitor_interval: int = Field(default=600, ge=0)

    # --- request bodies (docs/operators.md, "Request bodies and timeouts") ---
    #: Seconds a request body may take to arrive in full, counted from its headers, plus one per
    #: 64 KiB that does arrive (slow links); a slower one is answered 408 and its connection
    #: closed. Size limits are per route, in web/body_rules.py.
    body_read_timeout: float = Field(default=10.0, gt=0)

    @model_validator(mode="after")
    def _refuse_dev_defaults_in_production(self) -> Settings:
        if self.environment == "production":
            if self.secret_key == DEV_SECRET_KEY or len(self.secret_key) < 32:
                raise ValueError("CONSENTRY_SECRET_KEY must be set to 32+ random characters in production")
            if not self.issuer.startswith("https://"):
                raise ValueError("CONSENTRY_ISSUER must be https in production")
            if self.password_hash_cost != "standard":
                raise ValueError("CONSENTRY_PASSWORD_HASH_COST=fast is for test suites; never in production")
        elif self.secret_key == DEV_SECRET_KEY and self.environment == "development":
            log.warning("Using the development secret key; never do this in production")
        return self

    @cached_property
    def issuer_url(self) -> str:
        return self.issuer.rstrip("/")

    @cached_property
    def security_contact_address(self) -> str:
        """CONSENTRY_SECURITY_CONTACT, else ``security@<issuer host>`` (a one-label host such as
        ``localhost`` gets ``.localdomain``, so the address still passes the outbox's check)."""
        if self.security_contact.strip():
            return self.security_contact.strip().lower()
        host = (urlsplit(self.issuer).hostname or "localhost").lower()
        return f"security@{host}" if "." in host else f"security@{host}.localdomain"

    @cached_property
    def secure_cookies(self) -> bool:
        return urlsplit(self.issuer).scheme == "https"

    def scope_uri(self, name: str) -> str:
        """Scope URI for a catalogue name: ``{issuer}/auth/NAME``; sign-in scopes stay bare."""
        if name in ("openid", "email", "profile"):
            return name
        return f"{self.issuer_url}/auth/{name}"

    # --- app verification (docs/verification.md) ----------------------------
    #: Resolvers for domain-ownership checks, comma-separated ``ip`` or ``ip:port``; empty: the
    #: system's resolver. Tests and air-gapped sites point it at their own DNS server.
    dns_nameservers: str = ""
    #: Let the pre-check fetcher reach private and loopback addresses. Off: a developer-supplied
    #: URL must never make the server probe its own network (SSRF).
    fetch_allow_private: bool = False
    #: Seconds the pre-check fetcher waits for one page.
    fetch_timeout: float = Field(default=5.0, gt=0, le=60)

    # --- mail (docs/operators.md, "Mail") -------------------------------------
    #: The From address of every mail Consentry sends.
    mail_from: str = "consentry@localhost"
    #: Seconds between outbox deliveries in each server process; 0 turns the sender off.
    mail_interval: int = Field(default=10, ge=0)

    # --- legacy protocols (docs/legacy/index.md) ---------------------------
    #: Each legacy protocol can be turned off on its own; off, its endpoints answer 404 (as the
    #: reference platform did after the shutdown) and discovery no longer lists them.
    legacy_oauth1: bool = True
    legacy_authsub: bool = True
    legacy_clientlogin: bool = True
    legacy_gadget_proxy: bool = True
    #: The date every legacy answer announces in its ``Sunset`` header (RFC 8594), ISO 8601.
    legacy_sunset: date = date(2027, 12, 31)
    #: Seconds an OAuth 1.0a access token or an AuthSub session token lives ("long-lived").
    legacy_token_ttl: int = Field(default=365 * 24 * 3600, ge=3600)

    # --- compatibility -----------------------------------------------------
    #: Accept ``/tokeninfo?access_token=...`` (or ``id_token``) in the URL, as the reference platform
    #: documents, for apps ported from it. Off by default: URLs end up in logs and proxies (RFC 6819
    #: 4.6.7); when on, Consentry's access log shows such tokens redacted.
    tokeninfo_query_tokens: bool = False

    # --- metrics (docs/operators.md, "Metrics") ----------------------------
    #: Bearer token a scraper must send to /metrics, compared in constant time; empty asks for none.
    metrics_token: str = ""
    #: Comma-separated addresses or CIDRs /metrics answers (behind a proxy: the forwarded client
    #: address); empty answers nobody.
    metrics_allow: str = "127.0.0.1/32,::1/128"

    @field_validator("metrics_allow")
    @classmethod
    def _metrics_allow_is_cidrs(cls, value: str) -> str:
        for part in value.split(","):
            if part.strip():
                ipaddress.ip_network(part.strip(), strict=False)  # ValueError names the bad entry
        return value

    @field_validator("smtp_url")
    @classmethod
    def _smtp_url_parses(cls, value: str) -> str:
        from consentry.domain.mail.smtp_url import SmtpConfig
        from consentry.errors import DomainError

        try:
            SmtpConfig.parse(value)
        except DomainError as err:  # a typo in the URL stops the server at start-up, not at the first mail
            raise ValueError(err.message) from None
        return value

    @field_validator("dns_nameservers")
    @classmethod
    def _nameservers_are_addresses(cls, value: str) -> str:
        for part in value.split(","):
            host = part.strip()
            if host:
                if host.count(":") == 1:  # ip:port (an IPv6 address alone has several colons)
                    host, port = host.split(":")
                    if not port.isdigit() or not 0 < int(port) < 65536:
                        raise ValueError(f"bad port in CONSENTRY_DNS_NAMESERVERS entry {part!r}")
                ipaddress.ip_address(host.strip("[]"))
        return value

    @field_validator("security_contact")
    @classmethod
    def _security_contact_is_an_address(cls, value: str) -> str:
        from consentry.domain.accounts.emails import is_email_address

        if value.strip() and not is_email_address(value.strip().lower()):
            raise ValueError(
                "CONSENTRY_SECURITY_CONTACT must be one email address, e.g. security@example.com"
            )
        return value

    @field_validator("mail_from")
    @classmethod
    def _mail_from_is_an_address(cls, value: str) -> str:
        from consentry.domain.mail.transport import envelope_sender
        from consentry.errors import DomainError

        try:
            envelope_sender(value)
        except DomainError as err:
            raise ValueError(err.message) from None
        return value
