"""The network checks the console runs, built in one place from the settings.

Domain ownership (a DNS TXT record, then a well-known file) and the submission's pre-checks
reach the outside world. They are built here from ``CONSENTRY_DNS_NAMESERVERS`` and
``CONSENTRY_FETCH_ALLOW_PRIVATE`` so an operator or a test points them at a local DNS server
without touching the views, and integration tests swap the whole thing through
``app.dependency_overrides[console_checkers]``.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from typing import Annotated, Any
from urllib.parse import urlsplit

from fastapi import Depends, Request

from consentry.domain.verification.domain_ownership import DnsChecker, Fetch, ProofResult, check_file
from consentry.domain.verification.fetcher import ERRORS, SafeFetcher
from consentry.domain.verification.prechecks import run_prechecks, to_json

#: A DNS answer should come within this many seconds; the page waits for it.
DNS_LIFETIME = 5.0


def parse_nameservers(value: str) -> tuple[list[str], int]:
    """``"ip, ip:port, [v6]:port"`` -> (addresses, port): dnspython takes one port for all of them.

    Raises ValueError for a malformed entry or for entries on different ports.
    """
    addresses: list[str] = []
    ports: set[int] = set()
    for raw in value.split(","):
        entry = raw.strip()
        if not entry:
            continue
        port = 53
        if entry.startswith("["):
            host, _, rest = entry[1:].partition("]")
            if rest:
                port = int(rest.removeprefix(":"))
        elif entry.count(":") == 1:
            host, _, port_text = entry.partition(":")
            port = int(port_text)
        else:
            host = entry
        addresses.append(str(ipaddress.ip_address(host)))
        ports.add(port)
    if len(ports) > 1:
        raise ValueError("CONSENTRY_DNS_NAMESERVERS: every resolver must use the same port")
    if not all(0 < p < 65536 for p in ports):
        raise ValueError("CONSENTRY_DNS_NAMESERVERS: a port is 1-65535")
    return addresses, ports.pop() if ports else 53


def file_fetch(fetcher: SafeFetcher) -> Fetch:
    """The well-known-file check's view of the safe fetcher: (status, text, error).

    An HTTP error status is an answer, not a failed fetch (404 means "not published yet"), and
    a too-large file still has its beginning read, where the challenge is.
    """

    def fetch(url: str) -> tuple[int | None, str, str | None]:
        result = fetcher.fetch(url)
        asked, served = urlsplit(url).hostname, urlsplit(result.final_url or url).hostname
        if served != asked:
            # A parked or catch-all domain redirecting elsewhere must not let whoever runs the
            # target prove they own this one: the file counts only when this host serves it.
            return (
                result.status,
                "",
                f"the file redirects to another site ({served}); {asked} must serve it itself",
            )
        if result.error in (None, "http_error", "too_large"):
            return result.status, result.text, None
        words = ERRORS.get(result.error, result.error)
        detail = f": {result.detail}" if result.detail and result.detail != words else ""
        return result.status, result.text, words + detail

    return fetch


@dataclass
class Checkers:
    dns: DnsChecker
    fetcher: SafeFetcher

    def prove(self, domain: str, challenge: str) -> ProofResult:
        """DNS first, then the file; the result says what to publish when neither holds it."""
        by_dns = self.dns.check_dns(domain, challenge)
        if by_dns.verified:
            return by_dns
        by_file = check_file(domain, challenge, file_fetch(self.fetcher))
        if by_file.verified:
            return by_file
        return ProofResult(
            False,
            "dns",
            by_dns.reason,
            f"{by_dns.message} Or, instead: {by_file.message}",
            by_dns.evidence + by_file.evidence,
        )

    def prechecks(
        self, *, app_name: str, home_page: str, privacy_policy: str, terms: str, verified_domains: set[str]
    ) -> list[dict[str, Any]]:
        """The pre-checks a reviewer sees (VERIFY-4, VERIFY-5, LIMIT-5), as stored JSON."""
        results = run_prechecks(
            self.fetcher,
            app_name=app_name,
            home_page=home_page,
            privacy_policy=privacy_policy,
            terms=terms,
            verified_domains=verified_domains,
        )
        return to_json(results)


def console_checkers(request: Request) -> Checkers:
    settings = request.app.state.settings
    addresses, port = parse_nameservers(getattr(settings, "dns_nameservers", ""))
    fetcher = SafeFetcher(
        allow_private=getattr(settings, "fetch_allow_private", False),
        timeout=getattr(settings, "fetch_timeout", 5.0),
    )
    return Checkers(DnsChecker(addresses, port=port, lifetime=DNS_LIFETIME), fetcher)


CheckersDep = Annotated[Checkers, Depends(console_checkers)]
