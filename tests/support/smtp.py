"""A real SMTP server for tests: aiosmtpd on a free loopback port, recording every mail it accepts.

``SmtpServer`` picks its port when created and is started (and stopped, and started again on the
same port) by the test, so "the server is down" is a real refused connection and "it is back" the
same address answering. Variants: STARTTLS (``tls=``, required before any mail), implicit TLS
(``implicit_tls=True``), and login (``users=``, only over TLS, required before any mail), with a
throwaway CA and server certificate made by :func:`make_tls_files`. ``rcpt_replies`` scripts
refusals per recipient (``"550 5.1.1 no such user"``); ``delay`` slows each DATA so concurrent
senders overlap.

Use it as ``with smtp_server() as server: ...`` or build one and call ``start()`` later.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import ipaddress
import ssl
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from pathlib import Path
from typing import Any, cast
from urllib.parse import quote

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, AuthResult, Envelope, LoginPassword, Session
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from tests.support.live import free_port

HOST = "127.0.0.1"


@dataclass(frozen=True)
class TlsFiles:
    """A CA certificate (what clients trust) and the server certificate and key it signed."""

    ca: Path
    cert: Path
    key: Path

    def server_context(self) -> ssl.SSLContext:
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(self.cert, self.key)
        return context


def make_tls_files(directory: Path) -> TlsFiles:
    """A throwaway CA and a certificate for 127.0.0.1 and localhost, valid for a day."""
    directory.mkdir(parents=True, exist_ok=True)
    start = dt.datetime.now(dt.UTC) - dt.timedelta(minutes=5)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "consentry test CA")])
    ca = (
        x509.CertificateBuilder()
        .subject_name(ca_name)
        .issuer_name(ca_name)
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(start)
        .not_valid_after(start + dt.timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(_ca_usage(), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    key = ec.generate_private_key(ec.SECP256R1())
    cert = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")]))
        .issuer_name(ca_name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(start)
        .not_valid_after(start + dt.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName(
                [x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address(HOST))]
            ),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), critical=False
        )
        .sign(ca_key, hashes.SHA256())
    )
    files = TlsFiles(directory / "ca.pem", directory / "cert.pem", directory / "key.pem")
    files.ca.write_bytes(ca.public_bytes(serialization.Encoding.PEM))
    files.cert.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    files.key.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    )
    return files


def _ca_usage() -> x509.KeyUsage:
    return x509.KeyUsage(
        digital_signature=False,
        content_commitment=False,
        key_encipherment=False,
        data_encipherment=False,
        key_agreement=False,
        key_cert_sign=True,
        crl_sign=True,
        encipher_only=False,
        decipher_only=False,
    )


@dataclass(frozen=True)
class Received:
    """One mail as the server accepted it, with how the session that sent it was secured."""

    mail_from: str
    rcpt_tos: list[str]
    raw: bytes
    tls: bool
    login: str | None

    @property
    def message(self) -> EmailMessage:
        return cast(EmailMessage, BytesParser(policy=policy.default).parsebytes(self.raw))

    @property
    def message_id(self) -> str:
        return str(self.message["Message-ID"])


class _Recorder:
    """The aiosmtpd handler: refuses scripted recipients, records the rest."""

    def __init__(self, server: SmtpServer) -> None:
        self.server = server

    async def handle_RCPT(
        self, _smtp: SMTP, _session: Session, envelope: Envelope, address: str, _options: list[str]
    ) -> str:
        reply = self.server.rcpt_replies.get(address.lower())
        if reply is not None:
            return reply
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, smtp: SMTP, session: Session, envelope: Envelope) -> str:
        if self.server.delay:
            await asyncio.sleep(self.server.delay)
        transport = smtp.transport
        implicit_tls = transport is not None and transport.get_extra_info("ssl_object") is not None
        login = session.auth_data.login.decode() if isinstance(session.auth_data, LoginPassword) else None
        content = envelope.original_content or b""
        self.server.record(
            Received(
                mail_from=str(envelope.mail_from),
                rcpt_tos=list(envelope.rcpt_tos),
                raw=content if isinstance(content, bytes) else content.encode(),
                # session.ssl after STARTTLS; the transport's TLS object under implicit TLS
                tls=session.ssl is not None or implicit_tls,
                login=login if session.authenticated else None,
            )
        )
        return "250 Message accepted for delivery"


class SmtpServer:
    """An aiosmtpd server on a port fixed at creation; :meth:`start` and :meth:`stop` at will."""

    def __init__(
        self,
        *,
        tls: TlsFiles | None = None,
        implicit_tls: bool = False,
        users: dict[str, str] | None = None,
    ) -> None:
        if (implicit_tls or users) and tls is None:
            raise ValueError("implicit TLS and login need tls=make_tls_files(...)")
        self.port = free_port()
        self.tls = tls
        self.implicit_tls = implicit_tls
        self.users = dict(users or {})
        self.rcpt_replies: dict[str, str] = {}
        self.delay = 0.0
        self._received: list[Received] = []
        self._lock = threading.Lock()
        self._controller: Controller | None = None

    # --- running -----------------------------------------------------------
    def start(self) -> SmtpServer:
        assert self._controller is None, "already running"
        kwargs: dict[str, Any] = {}
        if self.tls is not None and self.implicit_tls:
            kwargs["ssl_context"] = self.tls.server_context()
        elif self.tls is not None:
            kwargs.update(tls_context=self.tls.server_context(), require_starttls=True)
        if self.users:
            kwargs.update(authenticator=self._authenticate, auth_required=True, auth_require_tls=True)
        controller = Controller(_Recorder(self), hostname=HOST, port=self.port, **kwargs)
        controller.start()
        self._controller = controller
        return self

    def stop(self) -> None:
        if self._controller is not None:
            self._controller.stop()
            self._controller = None

    @property
    def running(self) -> bool:
        return self._controller is not None

    def url(self, *, user: str | None = None, password: str | None = None, **query: str) -> str:
        """``smtp(s)://[user:password@]127.0.0.1:PORT[?query]``, user and password percent-encoded."""
        scheme = "smtps" if self.implicit_tls else "smtp"
        auth = f"{quote(user, safe='')}:{quote(password or '', safe='')}@" if user is not None else ""
        suffix = "?" + "&".join(f"{k}={quote(v, safe='/')}" for k, v in query.items()) if query else ""
        return f"{scheme}://{auth}{HOST}:{self.port}{suffix}"

    def _authenticate(
        self, _smtp: SMTP, _session: Session, _envelope: Envelope, _mechanism: str, auth_data: Any
    ) -> AuthResult:
        if not isinstance(auth_data, LoginPassword):
            return AuthResult(success=False, handled=False)
        login, password = auth_data.login.decode(), auth_data.password.decode()
        ok = self.users.get(login) == password
        return AuthResult(success=ok, handled=False, auth_data=auth_data if ok else None)

    # --- what arrived ------------------------------------------------------
    def record(self, mail: Received) -> None:
        with self._lock:
            self._received.append(mail)

    @property
    def received(self) -> list[Received]:
        with self._lock:
            return list(self._received)

    def count(self, message_id: str) -> int:
        """How many times a mail with this Message-ID arrived (1 is the only right answer)."""
        return sum(1 for mail in self.received if mail.message_id == message_id)

    def wait_for(self, n: int, timeout: float = 10.0) -> list[Received]:
        """The mails received, once there are at least ``n`` (or when ``timeout`` runs out)."""
        deadline = time.monotonic() + timeout
        while len(self.received) < n and time.monotonic() < deadline:
            time.sleep(0.02)
        return self.received


@contextmanager
def smtp_server(
    *,
    tls: TlsFiles | None = None,
    implicit_tls: bool = False,
    users: dict[str, str] | None = None,
    started: bool = True,
) -> Iterator[SmtpServer]:
    """A server for the ``with`` block (``started=False``: down until the test starts it)."""
    server = SmtpServer(tls=tls, implicit_tls=implicit_tls, users=users)
    if started:
        server.start()
    try:
        yield server
    finally:
        server.stop()
