"""The one email-address check (ISSUE-9.5): bounded by RFC 5321 lengths, then one linear pass."""

from __future__ import annotations

from pathlib import Path

import pytest

from consentry.domain.accounts import emails
from consentry.domain.accounts.emails import MAX_ADDRESS, MAX_LOCAL_PART, is_email_address, shown


@pytest.mark.parametrize(
    "address",
    ["a@b.c", "x@y.z", "dana@example.com", "first.last+tag@mail.example.co.uk", "o'neil@example.org"],
)
def test_ordinary_addresses_are_accepted(address: str) -> None:  # ISSUE-9.5: no regression for callers
    assert is_email_address(address)


@pytest.mark.parametrize(
    "address",
    [
        "",
        "not an email",
        "a@b",  # no dot in the domain
        "@b.c",
        "a@",
        "a@@b.c",
        "a@b@c.d",
        "a b@c.d",
        "a@b .c",
        "a@b.c\n",  # the old regex's `$` accepted a trailing newline
        "a\x00@b.c",  # control characters
        "a@.b.c",  # empty label
        "a@b..c",
        "a@b.c.",
    ],
)
def test_malformed_addresses_are_refused(address: str) -> None:  # ISSUE-9.5
    assert not is_email_address(address)


def test_rfc_5321_length_bounds() -> None:  # ISSUE-9.5, RFC 5321 §4.5.3.1.1 and §4.5.3.1.3
    domain = ".".join(["d" * 63] * 3) + ".example"  # 199 characters, three labels at the maximum
    local = "l" * MAX_LOCAL_PART
    assert is_email_address(f"{local}@b.c")
    assert not is_email_address(f"{local}l@b.c")
    fits = f"{local[: MAX_ADDRESS - len(domain) - 1]}@{domain}"
    assert len(fits) == MAX_ADDRESS and is_email_address(fits)
    assert not is_email_address(f"{fits[0]}{fits}")
    assert not is_email_address(f"a@{'b' * 64}.example")  # one DNS label is at most 63 octets


@pytest.mark.parametrize("size", [20_000, 100_000, 1_000_000])
def test_huge_addresses_are_refused_before_any_scan(monkeypatch: pytest.MonkeyPatch, size: int) -> None:
    """ISSUE-9.5: the length bound comes first, so a megabyte costs a len() call, not a scan.

    Shapes that made the old regex backtrack quadratically (1 s for 20 KB, ~1 min for 100 KB)."""
    scans: list[int] = []
    real = emails._plain

    def counted(part: str) -> bool:
        scans.append(len(part))
        return real(part)

    monkeypatch.setattr(emails, "_plain", counted)
    for address in ("a@" + "." * size + "@", "a@" + "a." * (size // 2) + " ", "a" * size + "@b.c"):
        assert not is_email_address(address)
    assert scans == []
    assert is_email_address("dana@example.com") and scans == [4, 11]


def test_error_messages_do_not_echo_huge_input() -> None:  # ISSUE-9.5
    assert shown("a@b.c") == "a@b.c"
    cut = shown("x" * 20_000)
    assert cut.startswith("x" * 64) and cut.endswith("… (20000 characters)") and len(cut) < 100


def test_every_caller_uses_the_shared_check() -> None:  # ISSUE-9.5: the quadratic regex is gone
    from consentry.cli import clients as cli_clients
    from consentry.domain.accounts import service
    from consentry.domain.data import files, mail

    assert not hasattr(service, "EMAIL_RE")
    assert files.is_email_address is mail.is_email_address is service.is_email_address is is_email_address
    assert "EMAIL_RE" not in Path(cli_clients.__file__).read_text(encoding="utf-8")
