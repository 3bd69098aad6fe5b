"""Input rules of the consent-screen configuration (VERIFY-2) and its branding rules (VERIFY-3).

Every value a developer types into the consent-screen form, the API or the CLI passes through one
of these functions, which return the normalised value or raise ``DomainError(code, message)``
with a message saying what to fix. The same rules then hold on every channel. The app-name rule
(no imitation of the platform or of brands) lives in app_names.py.
"""

from __future__ import annotations

import ipaddress
import re
import urllib.parse
from collections.abc import Iterable
from dataclasses import dataclass

import idna  # IDNA 2008 with UTS #46 mapping; the stdlib codec is IDNA 2003 (installed with httpx)

from consentry.domain.accounts.emails import is_email_address, shown
from consentry.domain.projects.app_names import app_name
from consentry.errors import DomainError

__all__ = ["app_name", "contact_emails", "domain_name", "public_url", "url_on_domains"]

#: Far above any real home page or policy address; keeps stored and rendered values bounded.
MAX_URL = 2000
#: RFC 1035 §2.3.4 (without the root's trailing dot).
MAX_DOMAIN = 253
MAX_LABEL = 63

#: Names that never reach the public internet (RFC 6761, RFC 6762, RFC 8375, RFC 9476, common
#: private conventions); a reviewer or a user's browser cannot open them.
PRIVATE_SUFFIXES = (
    "localhost",
    "local",
    "localdomain",
    "internal",
    "intranet",
    "private",
    "corp",
    "home",
    "lan",
    "home.arpa",
    "arpa",
    "test",
    "example",
    "invalid",
    "onion",
    "alt",
)
_LOOPBACK_NAMES = ("localhost",)

_SCHEME = re.compile(r"[a-z][a-z0-9+.\-]*")
#: RFC 3986 reserved and unreserved characters, and ``%``: everything else is percent-encoded.
_URL_SAFE = "/?#[]@!$&'()*+,;=:-._~%"
_BAD_PERCENT = re.compile(r"%(?![0-9A-Fa-f]{2})")
_LDH = re.compile(r"[a-z0-9](?:[a-z0-9-]*[a-z0-9])?")
_EMAIL_SEPARATORS = re.compile(r"[,;\s]+")


# --- domains -------------------------------------------------------------------------------------


def _looks_numeric(host: str) -> bool:
    """Browsers read a host ending in a number (``127.1``, ``0x7f.1``, ``2130706433``) as IPv4."""
    last = host.rstrip(".").rsplit(".", 1)[-1].lower()
    return last.isdigit() or last.startswith("0x")


def _dns_name(text: str) -> str:
    """``text`` as a lower-case ASCII DNS name (IDNs in punycode), or ``ValueError(why)``."""
    if len(text) > MAX_DOMAIN:
        raise ValueError(f"it is longer than {MAX_DOMAIN} characters")
    if text.endswith("."):
        raise ValueError("remove the trailing dot")
    if _looks_numeric(text):
        raise ValueError("an IP address is not a domain name")
    try:
        ascii_name = idna.encode(text, uts46=True).decode("ascii")
    except (idna.IDNAError, UnicodeError):
        raise ValueError(
            "each part between dots may hold only letters, digits and hyphens (not first or last)"
        ) from None
    labels = ascii_name.split(".")
    if len(ascii_name) > MAX_DOMAIN or not all(
        len(label) <= MAX_LABEL and _LDH.fullmatch(label) for label in labels
    ):
        raise ValueError(
            "each part between dots may hold only letters, digits and hyphens (not first or last)"
        )
    return ascii_name


def _not_public(ascii_name: str) -> str | None:
    """Why ``ascii_name`` is not a public DNS name, or None."""
    for suffix in PRIVATE_SUFFIXES:
        if ascii_name == suffix or ascii_name.endswith("." + suffix):
            return f"names under .{suffix} are not reachable on the public internet"
    labels = ascii_name.split(".")
    if len(labels) < 2:
        return "a public domain has at least one dot, like example.com"
    tld = labels[-1]
    if len(tld) < 2 or not (tld.isalpha() or tld.startswith("xn--")):
        return f".{tld} is not a top-level domain"
    return None


def domain_name(value: str) -> str:
    """An authorized domain (VERIFY-2): lower case, punycode for IDNs, public, with a dot."""
    if not isinstance(value, str) or not value.strip():
        raise DomainError("invalid_domain", "Enter a domain name such as example.com.")
    text = value.strip()
    if any(c in text for c in "/:@[]") or any(c.isspace() for c in text):
        raise DomainError(
            "invalid_domain",
            f"{shown(text)!r} is not a domain name: enter only the domain, like example.com, "
            "without https://, a path or a port.",
        )
    try:
        ascii_name = _dns_name(text.lower())
    except ValueError as why:
        raise DomainError("invalid_domain", f"{shown(text)!r} is not a valid domain name: {why}.") from None
    problem = _not_public(ascii_name)
    if problem:
        raise DomainError("invalid_domain", f"{ascii_name!r} is not a public domain name: {problem}.")
    return ascii_name


# --- URLs ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Url:
    scheme: str
    #: Lower-case ASCII; IPv6 in brackets.
    host: str
    port: int | None
    #: Path, query and fragment, percent-encoded.
    tail: str
    is_ip: bool


def _url_error(code: str, field: str, text: str, why: str) -> DomainError:
    return DomainError(code, f"The {field} {shown(text, 100)!r} is not accepted: {why}.")


def _split_url(text: str, field: str) -> _Url:
    """Parse ``scheme://host[:port][tail]`` strictly; any scheme, policy is the caller's."""
    if len(text) > MAX_URL:
        raise _url_error("invalid_url", field, text, f"it is longer than {MAX_URL} characters")
    if "\\" in text or any(c.isspace() or not c.isprintable() for c in text):
        raise _url_error("invalid_url", field, text, "it contains spaces, control characters or backslashes")
    scheme, colon, rest = text.partition(":")
    scheme = scheme.lower()
    if not colon or not _SCHEME.fullmatch(scheme):
        raise _url_error("invalid_url", field, text, "it must be a full address starting with https://")
    if scheme not in ("https", "http"):
        raise _url_error(
            "unsupported_scheme", field, text, f"{scheme}: links are not allowed; use an https:// address"
        )
    if not rest.startswith("//"):
        raise _url_error("invalid_url", field, text, "it must be a full address starting with https://")
    rest = rest[2:]
    cut = min((i for i in (rest.find("/"), rest.find("?"), rest.find("#")) if i >= 0), default=len(rest))
    authority, tail = rest[:cut], rest[cut:]
    if "@" in authority:
        raise _url_error(
            "credentials_in_url", field, text, "it must not contain a user name or password (user@host)"
        )
    if authority.startswith("["):
        end = authority.find("]") + 1
        raw_host, after = (authority[:end], authority[end:]) if end else (authority, "")
    else:
        raw_host, colon, port_text = authority.partition(":")
        after = colon + port_text
    port = None
    if after:
        digits = after[1:]
        if not (after.startswith(":") and digits.isascii() and digits.isdigit()) or len(digits) > 5:
            raise _url_error("invalid_url", field, text, "the port must be a number from 1 to 65535")
        port = int(digits)
        if not 0 < port <= 65535 or digits.startswith("0"):
            raise _url_error("invalid_url", field, text, "the port must be a number from 1 to 65535")
    if not raw_host:
        raise _url_error("invalid_url", field, text, "the host name is missing")
    host, is_ip = _url_host(raw_host, field, text)
    tail = urllib.parse.quote(tail, safe=_URL_SAFE)
    if _BAD_PERCENT.search(tail):
        raise _url_error("invalid_url", field, text, "it has a malformed percent-encoding")
    return _Url(scheme, host, port, tail, is_ip)


def _url_host(raw: str, field: str, text: str) -> tuple[str, bool]:
    if raw.startswith("["):
        try:
            return f"[{ipaddress.IPv6Address(raw[1:-1]).compressed}]", True
        except ValueError:
            raise _url_error("invalid_url", field, text, "the IPv6 address is malformed") from None
    host = raw.lower()
    if _looks_numeric(host):
        try:
            return str(ipaddress.IPv4Address(host)), True
        except ValueError:
            # Still an address to a browser (127.1, 0x7f.0.0.1): refused as one.
            return host, True
    try:
        return _dns_name(host), False
    except ValueError as why:
        raise _url_error("invalid_url", field, text, f"the host is not a valid domain name: {why}") from None


def _is_loopback(url: _Url) -> bool:
    if url.host in _LOOPBACK_NAMES or url.host.endswith(".localhost"):
        return True
    if not url.is_ip:
        return False
    try:
        return ipaddress.ip_address(url.host.strip("[]")).is_loopback
    except ValueError:
        return False


def public_url(value: str, *, field: str, allow_http_localhost: bool = False) -> str:
    """A link shown to users or reviewers (home page, privacy policy, terms; VERIFY-2, VERIFY-4).

    https only, on a public DNS name: no other schemes, no credentials, no IP addresses and no
    private names, since users and reviewers must be able to open it and trust where it leads.
    ``allow_http_localhost`` lets a development deployment use http(s) on loopback.
    ``field`` names the value in messages ("home page"). Returns the URL with a lower-case
    scheme and host, the host in punycode and non-ASCII characters percent-encoded.
    """
    if not isinstance(value, str) or not value.strip():
        raise DomainError("invalid_url", f"Enter the {field} as an https:// address.")
    text = value.strip()
    url = _split_url(text, field)
    local_ok = allow_http_localhost and _is_loopback(url)
    if url.scheme != "https" and not local_ok:
        raise _url_error(
            "insecure_url", field, text, "plain http is not allowed; publish it over https:// and use that"
        )
    if not local_ok:
        if url.is_ip:
            raise _url_error("ip_address_host", field, text, "use the site's domain name, not an IP address")
        if _is_loopback(url):
            raise _url_error(
                "non_public_host", field, text, "localhost is not reachable by users or reviewers"
            )
        problem = _not_public(url.host)
        if problem:
            raise _url_error("non_public_host", field, text, problem)
    port = "" if url.port is None else f":{url.port}"
    result = f"{url.scheme}://{url.host}{port}{url.tail}"
    if len(result) > MAX_URL:  # percent-encoding can make an accepted text several times longer
        raise _url_error("invalid_url", field, text, f"it is longer than {MAX_URL} characters once encoded")
    return result


def url_on_domains(url: str, domains: Iterable[str]) -> bool:
    """Whether ``url``'s host is one of ``domains`` or a subdomain of one (VERIFY-5).

    Never raises: an unparseable URL or domain is simply not on the list.
    """
    try:
        parsed = _split_url(url.strip(), "address") if isinstance(url, str) else None
    except DomainError:
        return False
    if parsed is None or parsed.is_ip:
        return False
    for domain in domains:
        try:
            name = _dns_name(domain.strip().lower()) if isinstance(domain, str) else ""
        except ValueError:
            continue
        if name and (parsed.host == name or parsed.host.endswith("." + name)):
            return True
    return False


# --- contacts ------------------------------------------------------------------------------------


def contact_emails(values: str | Iterable[str], limit: int = 10) -> list[str]:
    """Contact addresses (VERIFY-2): 1..``limit`` distinct valid addresses, lower case.

    A single string is split at commas, semicolons and whitespace, as a form field sends it.
    """
    items = _EMAIL_SEPARATORS.split(values) if isinstance(values, str) else list(values)
    found: list[str] = []
    for item in items:
        if not isinstance(item, str):
            raise DomainError("invalid_email", "Each contact email must be text.")
        address = item.strip().lower()
        if address and address not in found:
            found.append(address)
            if len(found) > limit:
                raise DomainError(
                    "too_many_emails", f"Give at most {limit} contact email addresses, not more."
                )
    if not found:
        raise DomainError("missing_email", "Enter at least one contact email address.")
    for address in found:
        if not is_email_address(address):
            raise DomainError(
                "invalid_email",
                f"{shown(address)!r} is not an email address; write it like name@example.com.",
            )
    return found
