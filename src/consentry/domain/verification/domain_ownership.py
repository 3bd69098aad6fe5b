"""Proof that the project controls an authorized domain (VERIFY-3), the way search consoles ask it.

The developer publishes a random challenge either as a DNS TXT record on the domain,
``consentry-site-verification=<challenge>``, or in a file at
``https://<domain>/.well-known/consentry-verification.txt``. Both prove control of the name
itself, not of one page on it. A check never raises on what the network does: every outcome is a
:class:`ProofResult` with a reason code and plain words saying what to publish, so the page, the
API and the CLI tell the developer the same thing.

The file is fetched by a function the caller passes in (a fetcher that refuses private addresses
and bounds size and time), so this module never opens a connection of its own.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Literal

import dns.exception
import dns.resolver

from consentry.domain.projects.branding import domain_name

TXT_PREFIX = "consentry-site-verification="
WELL_KNOWN_PATH = "/.well-known/consentry-verification.txt"
#: Evidence kept from what was seen: enough to show the developer, bounded for storage.
MAX_EVIDENCE = 5
MAX_EVIDENCE_CHARS = 200
#: Only the start of the file is read; the fetcher bounds it too.
MAX_FILE_CHARS = 64 * 1024
_CHALLENGE = re.compile(r"[A-Za-z0-9_-]{16,128}")

Method = Literal["dns", "file"]
Reason = Literal[
    "verified", "no_record", "wrong_value", "nxdomain", "timeout", "dns_error", "not_found", "fetch_error"
]
#: (url) -> (HTTP status or None, body text, error or None)
Fetch = Callable[[str], tuple[int | None, str, str | None]]


@dataclass(frozen=True)
class ProofResult:
    verified: bool
    method: Method
    reason: Reason
    #: What happened and, unless verified, exactly what to publish.
    message: str
    #: What was seen (TXT records, the start of the file), truncated.
    evidence: tuple[str, ...] = ()


def new_challenge() -> str:
    """32 URL-safe characters (192 random bits): unguessable, so nobody publishes it by chance."""
    return secrets.token_urlsafe(24)


def txt_record(challenge: str) -> str:
    """The TXT record value to publish."""
    return f"{TXT_PREFIX}{challenge}"


def file_url(domain: str) -> str:
    return f"https://{domain}{WELL_KNOWN_PATH}"


def _checked(domain: str, challenge: str) -> str:
    """The domain normalised; a malformed challenge is a bug, and an empty one would match anything."""
    if not isinstance(challenge, str) or not _CHALLENGE.fullmatch(challenge):
        raise ValueError("the challenge must be 16 to 128 URL-safe characters")
    return domain_name(domain)


def _shown(text: str) -> str:
    """``text`` safe to store and show: one line, no control characters, bounded."""
    flat = "".join(c if c.isprintable() else "?" for c in text)
    return flat if len(flat) <= MAX_EVIDENCE_CHARS else f"{flat[:MAX_EVIDENCE_CHARS]}…"


class DnsChecker:
    """Looks up the TXT records of a domain through the given resolvers.

    ``nameservers`` (IP addresses) and ``port`` let operators and tests choose the resolver; an
    empty list uses the system's (``/etc/resolv.conf``). ``lifetime`` bounds a whole check in
    seconds, retries included. Raises ``ValueError`` for a malformed nameserver address.
    """

    def __init__(self, nameservers: Sequence[str] = (), port: int = 53, lifetime: float = 5.0) -> None:
        self.lifetime = lifetime
        self._resolver: dns.resolver.Resolver | None
        self._config_error = ""
        if nameservers:
            self._resolver = dns.resolver.Resolver(configure=False)
            self._resolver.nameservers = list(nameservers)
            self._resolver.port = port
        else:
            try:
                self._resolver = dns.resolver.Resolver()
            except dns.exception.DNSException as exc:  # no resolv.conf: report it at each check
                self._resolver, self._config_error = None, str(exc)
        if self._resolver is not None:
            self._resolver.timeout = lifetime
            self._resolver.lifetime = lifetime
            self._resolver.cache = None  # a re-check after publishing must see the new record

    def check_dns(self, domain: str, challenge: str) -> ProofResult:
        """Whether ``domain`` has the TXT record for ``challenge``; never raises on DNS errors.

        Raises ``DomainError`` for a malformed domain and ``ValueError`` for a malformed challenge
        (both the caller's, checked before any query).
        """
        domain = _checked(domain, challenge)
        expected = txt_record(challenge)
        publish = f'Add a TXT record to {domain} with exactly this value: "{expected}".'

        def result(reason: Reason, message: str, evidence: tuple[str, ...] = ()) -> ProofResult:
            return ProofResult(reason == "verified", "dns", reason, message, evidence)

        if self._resolver is None:
            return result("dns_error", f"This server has no DNS resolver configured ({self._config_error}).")
        try:
            answer = self._resolver.resolve(
                domain, "TXT", lifetime=self.lifetime, search=False, raise_on_no_answer=False
            )
        except dns.resolver.NXDOMAIN:
            return result(
                "nxdomain", f"The name {domain} does not exist in DNS; check its spelling. {publish}"
            )
        except dns.exception.Timeout:
            return result(
                "timeout",
                f"No DNS answer for {domain} within {self.lifetime:g} seconds; the domain's name servers "
                f"may be down. Try again later. {publish}",
            )
        except (dns.exception.DNSException, OSError) as exc:
            return result(
                "dns_error",
                f"The DNS lookup of {domain} failed ({_shown(str(exc))}). Try again later. {publish}",
            )
        # A TXT record longer than 255 bytes arrives as several strings; they form one value.
        records = [
            b"".join(rdata.strings).decode("utf-8", "replace").strip() for rdata in (answer.rrset or ())
        ]
        # Our records first: the evidence is bounded, and they are the ones the developer looks for.
        records.sort(key=lambda r: not r.lower().startswith(TXT_PREFIX))
        evidence = tuple(_shown(r) for r in records[:MAX_EVIDENCE])
        if expected in records:
            return result("verified", f"{domain} is verified by its DNS TXT record.", evidence)
        ours = [r for r in records if r.lower().startswith(TXT_PREFIX)]
        if ours:
            return result(
                "wrong_value",
                f"{domain} has a {TXT_PREFIX.rstrip('=')} record, but not with this project's challenge. "
                f"{publish} An old record may stay next to it.",
                evidence,
            )
        return result(
            "no_record",
            f"{domain} has no {TXT_PREFIX.rstrip('=')} TXT record yet. {publish} DNS changes can take "
            "a while to appear; check again later.",
            evidence,
        )


def check_file(domain: str, challenge: str, fetch: Fetch) -> ProofResult:
    """Whether ``https://<domain>/.well-known/consentry-verification.txt`` holds ``challenge``.

    The file may hold the challenge alone or the TXT-record form, as one word among others.
    ``fetch`` must be a safe fetcher (public addresses only, bounded); it is never trusted not to
    raise. Raises only for a malformed domain or challenge, like :meth:`DnsChecker.check_dns`.
    """
    domain = _checked(domain, challenge)
    url = file_url(domain)
    publish = f'Publish a text file at {url} containing exactly "{challenge}".'

    def result(reason: Reason, message: str, evidence: tuple[str, ...] = ()) -> ProofResult:
        return ProofResult(reason == "verified", "file", reason, message, evidence)

    try:
        status, text, error = fetch(url)
    except Exception as exc:  # the fetcher is another module's code; a failure is a failed check
        status, text, error = None, "", f"{type(exc).__name__}: {exc}"
    if error is not None or status is None:
        return result(
            "fetch_error", f"{url} could not be fetched ({_shown(error or 'no answer')}). {publish}"
        )
    if status in (404, 410):
        return result("not_found", f"{url} was not found (HTTP {status}). {publish}")
    if status != 200:
        return result("fetch_error", f"{url} answered HTTP {status}, not 200. {publish}")
    words = (text or "")[:MAX_FILE_CHARS].split()
    evidence = (_shown(" ".join(words)),) if words else ()
    if challenge in words or txt_record(challenge) in words:
        return result("verified", f"{domain} is verified by {url}.", evidence)
    return result("wrong_value", f"{url} does not contain this project's challenge. {publish}", evidence)
