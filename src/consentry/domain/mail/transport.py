"""The SMTP side of delivery: one connection, the message as it goes out, errors as one line.

Kept apart from ``sender.py`` (which claims rows and records outcomes) so each reads on its own.
Errors fall in two kinds, because they call for different bookkeeping: :class:`ConnectionFailure`
(nothing can be sent on this connection: refused, timed out, TLS or login refused, dropped) and
anything else raised while sending one message, which concerns that message only.
"""

from __future__ import annotations

import smtplib
import ssl
from datetime import UTC, datetime
from email.message import EmailMessage
from email.utils import format_datetime, parseaddr

from consentry.domain.mail.smtp_url import SmtpConfig
from consentry.errors import DomainError

MAX_ERROR = 500  # the column's length
#: Auto-Submitted (RFC 3834 §5): out-of-office robots must not answer a transactional mail.
AUTO_SUBMITTED = "auto-generated"


class ConnectionFailure(Exception):
    """No mail can go over this connection; every mail still claimed waits for the next run."""


def envelope_sender(mail_from: str) -> str:
    """The address in ``mail_from`` (``addr`` or ``Name <addr>``), refused if it has none."""
    _name, address = parseaddr(mail_from)
    if not isinstance(mail_from, str) or not mail_from.isprintable() or "@" not in address:
        raise DomainError("invalid_email", f"the sender {mail_from!r} is not a mail address")
    return address


def connect(config: SmtpConfig) -> smtplib.SMTP:
    """Open, greet, upgrade to TLS and log in as ``config`` says, or raise ConnectionFailure."""
    try:
        smtp: smtplib.SMTP
        if config.implicit_tls:
            smtp = smtplib.SMTP_SSL(
                config.host, config.port, timeout=config.timeout, context=config.tls_context()
            )
        else:
            smtp = smtplib.SMTP(config.host, config.port, timeout=config.timeout)
    except (OSError, smtplib.SMTPException) as err:
        raise ConnectionFailure(f"cannot connect to {config.host}:{config.port}: {describe(err)}") from err
    try:
        smtp.ehlo()
        if not config.implicit_tls and config.starttls != "off":
            if smtp.has_extn("starttls"):
                smtp.starttls(context=config.tls_context())
                smtp.ehlo()
            elif config.starttls == "required":
                raise ConnectionFailure("the server does not offer STARTTLS, and starttls=required")
        if config.username is not None:
            try:
                smtp.login(config.username, config.password or "")
            except smtplib.SMTPException as err:
                raise ConnectionFailure(f"login refused: {describe(err)}") from err
    except ConnectionFailure:
        smtp.close()
        raise
    except (OSError, smtplib.SMTPException) as err:
        smtp.close()
        raise ConnectionFailure(f"{config.host}:{config.port}: {describe(err)}") from err
    return smtp


def build_message(
    *, mail_from: str, recipients: list[str], subject: str, body: str, message_id: str, created_at: int
) -> EmailMessage:
    """The mail as it goes out; the same bytes on every resend (Date is when it was queued)."""
    message = EmailMessage()
    message["From"] = mail_from
    message["To"] = ", ".join(recipients)
    message["Subject"] = subject
    message["Date"] = format_datetime(datetime.fromtimestamp(created_at, tz=UTC))
    message["Message-ID"] = message_id
    message["Auto-Submitted"] = AUTO_SUBMITTED
    message.set_content(body)
    return message


def ends_connection(err: BaseException) -> bool:
    """True when ``err`` (raised while sending one mail) leaves the connection unusable."""
    if isinstance(err, smtplib.SMTPServerDisconnected):
        return True
    if isinstance(err, smtplib.SMTPRecipientsRefused):  # smtplib hangs up after a 421 to RCPT
        return any(code == 421 for code, _reply in err.recipients.values())
    if isinstance(err, smtplib.SMTPResponseException):
        return err.smtp_code == 421  # "service not available, closing transmission channel"
    return isinstance(err, OSError) and not isinstance(err, smtplib.SMTPException)


def refused_text(refused: dict[str, tuple[int, bytes]]) -> str:
    """``addr: 550 reason; ...`` for the recipients a server refused."""
    return "; ".join(f"{addr}: {code} {_text(reply)}" for addr, (code, reply) in sorted(refused.items()))


def describe(err: BaseException) -> str:
    """One line saying what went wrong, at most :data:`MAX_ERROR` characters."""
    if isinstance(err, smtplib.SMTPRecipientsRefused):
        text = f"all recipients refused: {refused_text(err.recipients)}"
    elif isinstance(err, smtplib.SMTPResponseException):
        text = f"{err.smtp_code} {_text(err.smtp_error)}"
    elif isinstance(err, ssl.SSLCertVerificationError):
        text = f"TLS certificate not trusted: {err.verify_message or err}"
    elif isinstance(err, TimeoutError):
        text = f"timed out ({err})" if str(err) else "timed out"
    else:
        text = str(err) or type(err).__name__
    return one_line(text)


def one_line(text: str, limit: int = MAX_ERROR) -> str:
    line = (text.strip().splitlines() or [""])[0]
    return line if len(line) <= limit else f"{line[: limit - 1]}…"


def _text(reply: bytes | str) -> str:
    return reply.decode("utf-8", "replace") if isinstance(reply, bytes) else str(reply)
