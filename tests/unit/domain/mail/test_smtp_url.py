"""``CONSENTRY_SMTP_URL`` parsing: every accepted shape, and a clear refusal of everything else.

# ISSUE-11 mail: "a sender that delivers over SMTP (CONSENTRY_SMTP_URL, STARTTLS and auth supported)".
"""

from __future__ import annotations

import ssl

import pytest

from consentry.domain.mail.smtp_url import SmtpConfig
from consentry.errors import DomainError
from consentry.settings import Settings


def test_the_settings_default_parses() -> None:  # ISSUE-11 mail: the shipped default must be usable
    config = SmtpConfig.parse(Settings.model_fields["smtp_url"].default)
    assert (config.host, config.port, config.implicit_tls) == ("127.0.0.1", 1025, False)
    assert config.starttls == "opportunistic" and config.username is None


@pytest.mark.parametrize(
    ("url", "host", "port", "implicit_tls", "starttls"),
    [
        ("smtp://mail.example.com", "mail.example.com", 25, False, "opportunistic"),
        ("smtp://mail.example.com:587", "mail.example.com", 587, False, "opportunistic"),
        ("SMTP://Mail.Example.COM:2525/", "mail.example.com", 2525, False, "opportunistic"),
        ("smtp://relay:25?starttls=off", "relay", 25, False, "off"),
        ("smtp://relay?starttls=required", "relay", 25, False, "required"),
        ("smtps://mail.example.com", "mail.example.com", 465, True, "required"),
        ("smtps://mail.example.com:4650", "mail.example.com", 4650, True, "required"),
        ("smtp://[::1]:1025", "::1", 1025, False, "opportunistic"),
    ],
)
def test_accepted_urls(
    url: str, host: str, port: int, implicit_tls: bool, starttls: str
) -> None:  # ISSUE-11 mail
    config = SmtpConfig.parse(url)
    assert (config.host, config.port, config.implicit_tls, config.starttls) == (
        host,
        port,
        implicit_tls,
        starttls,
    )
    assert config.username is None and config.password is None and config.cafile is None


def test_credentials_are_percent_decoded_and_make_starttls_required() -> None:  # ISSUE-11 mail: auth
    config = SmtpConfig.parse("smtp://mailer%40example.com:p%40ss%3Aw%2Frd@smtp.example.com:587")
    assert config.username == "mailer@example.com"
    assert config.password == "p@ss:w/rd"
    # A password only ever goes to a server whose certificate checks out, unless the operator says off.
    assert config.starttls == "required" and config.verifies_certificate
    assert SmtpConfig.parse("smtp://u:p@relay?starttls=off").starttls == "off"
    assert SmtpConfig.parse("smtp://u:p@relay?starttls=opportunistic").starttls == "opportunistic"


def test_redacted_hides_the_password() -> None:  # ISSUE-11 mail: URLs go to logs and command output
    config = SmtpConfig.parse("smtp://mailer:s3cr%2Ft@smtp.example.com:587?cafile=/etc/ca.pem")
    shown = config.redacted()
    assert "s3cr" not in shown
    assert shown == "smtp://mailer:***@smtp.example.com:587?starttls=required&cafile=/etc/ca.pem"
    assert SmtpConfig.parse(shown.replace("***", "x")).cafile == "/etc/ca.pem"  # still a valid URL
    assert SmtpConfig.parse("smtps://[::1]").redacted() == "smtps://[::1]:465"


def test_tls_contexts_verify_unless_opportunistic() -> None:  # ISSUE-11 mail: STARTTLS supported, safely
    required = SmtpConfig.parse("smtp://relay?starttls=required").tls_context()
    assert required.verify_mode == ssl.CERT_REQUIRED and required.check_hostname
    implicit = SmtpConfig.parse("smtps://relay").tls_context()
    assert implicit.verify_mode == ssl.CERT_REQUIRED and implicit.check_hostname
    opportunistic = SmtpConfig.parse("smtp://relay").tls_context()
    assert opportunistic.verify_mode == ssl.CERT_NONE


@pytest.mark.parametrize(
    ("url", "says"),
    [
        ("", "empty"),
        ("http://mail.example.com", "unsupported scheme 'http'"),
        ("mail.example.com:25", "unsupported scheme"),
        ("smtp://", "no host"),
        ("smtp://:25", "no host"),
        ("smtp://relay:0", "port 0"),
        ("smtp://relay:99999", "out of range"),
        ("smtp://relay:smtp", "Port could not be cast"),
        ("smtp://relay/inbox", "no path"),
        ("smtp://relay#frag", "no path or fragment"),
        ("smtp://relay?starttls=sometimes", "starttls must be one of required, opportunistic, off"),
        ("smtp://relay?starttls=", "starttls must be one of"),
        ("smtp://relay?tls=yes", "unknown parameter 'tls'"),
        ("smtps://relay?starttls=off", "unknown parameter 'starttls' for smtps://"),
        ("smtp://relay?starttls=off&starttls=required", "more than once"),
        ("smtp://relay?cafile=", "cafile is empty"),
        ("smtp://user@relay", "both a user name and a password"),
        ("smtp://:secret@relay", "both a user name and a password"),
        ("smtp://user:@relay", "both a user name and a password"),
        ("smtp://re lay", "whitespace"),
        ("smtp://relay\r\n", "whitespace or control characters"),
    ],
)
def test_refused_urls_say_why(url: str, says: str) -> None:  # ISSUE-11 mail: a clear error, never a guess
    with pytest.raises(DomainError) as raised:
        SmtpConfig.parse(url)
    assert raised.value.code == "invalid_smtp_url"
    assert says in raised.value.message
    assert raised.value.message.startswith("CONSENTRY_SMTP_URL: ")


def test_a_refusal_never_echoes_the_password() -> None:  # ISSUE-11 mail: errors reach logs too
    with pytest.raises(DomainError) as raised:
        SmtpConfig.parse("smtp://user:hunter2@relay?bogus=1")
    assert "hunter2" not in raised.value.message
