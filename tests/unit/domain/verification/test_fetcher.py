"""SafeFetcher against a real local server: SSRF refusals, pinning, redirects, size and time limits."""

from __future__ import annotations

import datetime as dt
import gzip
import ssl
import time
from collections.abc import Iterator
from io import BufferedIOBase
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from consentry.domain.verification.fetcher import ERRORS, SafeFetcher, is_public_address
from tests.unit.domain.verification.conftest import Page, Site, start_site


def local(**kwargs: object) -> SafeFetcher:
    """A fetcher allowed onto loopback, where the test server lives."""
    return SafeFetcher(allow_private=True, **kwargs)  # type: ignore[arg-type]


class FakeDNS:
    """Maps made-up names to addresses and counts lookups; unknown names fail like NXDOMAIN."""

    def __init__(self, answers: dict[str, list[list[str]]]) -> None:
        self.answers = answers
        self.calls: list[str] = []

    def __call__(self, host: str, port: int) -> list[str]:
        self.calls.append(host)
        queue = self.answers.get(host)
        if not queue:
            raise OSError(f"no such host {host}")
        return queue.pop(0) if len(queue) > 1 else queue[0]


# -- addresses (LIMIT-5, VERIFY-4: the pre-checks fetch developer URLs; no SSRF) ----------------


@pytest.mark.parametrize(
    "address",
    [
        "127.0.0.1", "127.5.5.5", "10.0.0.1", "172.16.3.4", "192.168.1.1", "169.254.169.254",
        "100.64.0.1", "100.127.255.254", "0.0.0.0", "224.0.0.1", "240.0.0.1", "255.255.255.255",
        "::1", "::", "fe80::1", "fe80::1%eth0", "fc00::1", "fd12:3456::1", "ff02::1",
        "::ffff:127.0.0.1", "::ffff:10.0.0.1", "::ffff:169.254.169.254", "64:ff9b::a9fe:a9fe",
        "2002:7f00:1::1", "2001:db8::1", "not an address",
    ],
)  # fmt: skip
def test_non_public_addresses_are_refused(address: str) -> None:
    assert not is_public_address(address)


@pytest.mark.parametrize("address", ["8.8.8.8", "93.184.216.34", "2606:4700:4700::1111", "::ffff:8.8.8.8"])
def test_public_addresses_are_allowed(address: str) -> None:
    assert is_public_address(address)


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:{port}/",
        "http://10.0.0.1:{port}/",
        "http://169.254.169.254/latest/meta-data/",
        "http://[::1]:{port}/",
        "http://[::ffff:127.0.0.1]:{port}/",
        "http://localhost:{port}/",
        "http://0.0.0.0:{port}/",
        "http://100.64.0.1/",
        "http://2130706433:{port}/",  # 127.0.0.1 as one decimal number, resolved by the system
    ],
)
def test_private_and_loopback_targets_are_refused_before_connecting(site: Site, url: str) -> None:
    site.page("/", "<title>internal</title>")
    result = SafeFetcher().fetch(url.format(port=site.port))
    assert result.error == "private_address"
    assert result.status is None and result.text == ""
    assert site.seen == []  # no byte reached the server


def test_one_private_answer_among_public_ones_refuses_the_host() -> None:
    dns = FakeDNS({"mixed.test": [["93.184.216.34", "10.0.0.7"]]})
    result = SafeFetcher(resolve=dns).fetch("http://mixed.test/")
    assert result.error == "private_address"
    assert result.address == "10.0.0.7"
    assert "10.0.0.7" in result.detail


def test_a_public_host_on_a_non_web_port_is_refused_before_connecting() -> None:
    """A developer-supplied URL must not probe other services' ports (SSRF, issue 11)."""
    dns = FakeDNS({"public.test": [["93.184.216.34"]]})
    for url in ("http://public.test:22/", "https://public.test:6379/"):
        result = SafeFetcher(resolve=dns, timeout=0.5).fetch(url)
        assert result.error == "bad_port" and result.status is None, result


def test_a_redirect_to_a_private_address_is_refused_at_that_hop(site: Site) -> None:
    # The first hop is allowed only because the operator allowed this one address; the
    # redirect goes to another loopback address and to a name resolving to the metadata service.
    dns = FakeDNS({"metadata.test": [["169.254.169.254"]]})
    fetcher = SafeFetcher(allowed_networks=["127.0.0.1/32"], resolve=dns)
    site.redirect("/to-loopback", f"http://127.0.0.2:{site.port}/secret")
    site.redirect("/to-metadata", "http://metadata.test/latest/meta-data/")

    to_loopback = fetcher.fetch(site.url("/to-loopback"))
    assert to_loopback.error == "private_address"
    assert to_loopback.final_url == f"http://127.0.0.2:{site.port}/secret"
    assert to_loopback.redirects == (to_loopback.final_url,)
    assert to_loopback.status == 302  # the last answer received

    to_metadata = fetcher.fetch(site.url("/to-metadata"))
    assert to_metadata.error == "private_address"
    assert to_metadata.address == "169.254.169.254"
    assert site.paths() == ["/to-loopback", "/to-metadata"]  # nothing else was requested


def test_the_connection_goes_to_the_address_that_was_checked(site: Site) -> None:
    # DNS rebinding: the name answers loopback (allowed here), then a private address. The
    # fetcher looks up once per hop and dials that answer; the system resolver does not know
    # app.test at all, so a second lookup anywhere would have failed the fetch.
    dns = FakeDNS({"app.test": [["127.0.0.1"], ["10.9.9.9"]]})
    site.page("/", "<title>Acme</title>")
    result = SafeFetcher(allowed_networks=["127.0.0.1/32"], resolve=dns).fetch(site.url("/", host="app.test"))
    assert result.ok and result.status == 200 and "Acme" in result.text
    assert result.address == "127.0.0.1"
    assert dns.calls == ["app.test"]
    assert site.seen == [("/", f"app.test:{site.port}")]  # the Host header names the site, not the IP


def test_private_addresses_pass_when_the_operator_allows_them(site: Site) -> None:
    site.page("/", "<title>LAN app</title>")
    assert SafeFetcher().fetch(site.url()).error == "private_address"
    assert SafeFetcher(allow_private=True).fetch(site.url()).ok


# -- URLs ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "url",
    [
        "javascript:alert(1)",
        "file:///etc/passwd",
        "ftp://example.com/x",
        "gopher://example.com/",
        "data:text/html,hi",
        "example.com",
    ],
)
def test_only_http_and_https_are_fetched(url: str) -> None:
    result = SafeFetcher().fetch(url)
    assert result.error == "bad_scheme"
    assert result.detail


@pytest.mark.parametrize(
    "url", ["http://user:pass@example.com/", "https://user@example.com/", "http://:pw@example.com/"]
)
def test_credentials_in_the_url_are_refused(url: str) -> None:
    assert SafeFetcher().fetch(url).error == "credentials_in_url"


@pytest.mark.parametrize(
    "url",
    [
        "",
        "http://",
        "https:///path",
        "http://[::1",
        "http://exa mple.com/",
        "http://a.test:99999/",
        "http://a.test:0/",
        "http://[fe80::1%25eth0]/",
    ],
)
def test_malformed_urls_are_errors_not_exceptions(url: str) -> None:
    result = SafeFetcher().fetch(url)
    assert result.error in ("bad_url", "bad_scheme")
    assert result.error in ERRORS


def test_an_unknown_host_is_a_dns_failure() -> None:
    result = SafeFetcher(resolve=FakeDNS({})).fetch("https://nowhere.test/")
    assert result.error == "dns_failure"


# -- redirects ----------------------------------------------------------------------------------


def test_redirects_are_followed_and_listed(site: Site) -> None:
    site.redirect("/old", "/newer", status=301)
    site.redirect("/newer", site.url("/final"), status=308)
    site.page("/final", "<p>here</p>")
    result = local().fetch(site.url("/old"))
    assert result.ok
    assert result.redirects == (site.url("/newer"), site.url("/final"))
    assert result.final_url == site.url("/final")
    assert site.paths() == ["/old", "/newer", "/final"]


def test_a_redirect_loop_stops_at_the_limit(site: Site) -> None:
    site.redirect("/a", "/b")
    site.redirect("/b", "/a")
    result = local(max_redirects=3).fetch(site.url("/a"))
    assert result.error == "too_many_redirects"
    assert len(result.redirects) == 3
    assert len(site.seen) == 4


@pytest.mark.parametrize(
    ("location", "error"),
    [
        ("javascript:alert(1)", "bad_scheme"),
        ("file:///etc/passwd", "bad_scheme"),
        ("http://admin:secret@127.0.0.1/", "credentials_in_url"),
    ],
)
def test_each_redirect_hop_is_checked_like_the_first(site: Site, location: str, error: str) -> None:
    site.redirect("/go", location)
    result = local().fetch(site.url("/go"))
    assert result.error == error
    assert result.final_url == location
    assert site.paths() == ["/go"]


def test_a_redirect_without_location_is_an_error(site: Site) -> None:
    site.page("/go", b"", status=302)
    assert local().fetch(site.url("/go")).error == "bad_redirect"


# -- bodies -------------------------------------------------------------------------------------


def test_an_error_status_keeps_the_page_as_evidence(site: Site) -> None:
    result = local().fetch(site.url("/missing"))
    assert result.error == "http_error" and result.status == 404
    assert "Not found" in result.text and result.detail == "HTTP 404"


def test_text_is_decoded_by_the_declared_charset(site: Site) -> None:
    site.page("/", "<p>Café naïve</p>".encode("iso-8859-1"), content_type="text/html; charset=ISO-8859-1")
    site.page(
        "/meta", '<meta charset="windows-1252"><p>Price: 5€</p>'.encode("cp1252"), content_type="text/html"
    )
    assert "Café naïve" in local().fetch(site.url()).text
    assert "5€" in local().fetch(site.url("/meta")).text


def test_non_text_bodies_are_not_downloaded(site: Site) -> None:
    site.page("/logo.png", b"\x89PNG" + b"\0" * 5000, content_type="image/png")
    result = local().fetch(site.url("/logo.png"))
    assert result.ok and result.content_type == "image/png" and result.text == ""


def test_a_huge_body_is_cut_at_max_bytes(site: Site) -> None:
    site.page("/huge", b"A" * 5_000_000, content_type="text/plain")
    started = time.monotonic()
    result = local(max_bytes=10_000).fetch(site.url("/huge"))
    assert result.error == "too_large" and result.status == 200
    assert result.text == "A" * 10_000
    assert time.monotonic() - started < 2


def test_an_endless_body_is_cut_at_max_bytes(site: Site) -> None:
    def endless(out: BufferedIOBase) -> None:
        out.write(b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nConnection: close\r\n\r\n")
        while True:
            out.write(b"<p>more</p>" * 1000)

    site.pages["/endless"] = Page(writer=endless)
    result = local(max_bytes=50_000, timeout=3).fetch(site.url("/endless"))
    assert result.error == "too_large"
    assert len(result.text) == 50_000


def test_a_compressed_bomb_is_cut_at_max_bytes(site: Site) -> None:
    bomb = gzip.compress(b"\0" * 20_000_000)
    assert len(bomb) < 100_000
    site.page("/bomb", bomb, content_type="text/plain", headers={"Content-Encoding": "gzip"})
    result = local(max_bytes=100_000).fetch(site.url("/bomb"))
    assert result.error == "too_large"
    assert len(result.text) == 100_000


def test_an_answer_that_is_not_http_is_an_error(site: Site) -> None:
    site.pages["/junk"] = Page(writer=lambda out: out.write(b"\x00\x01 not http at all\r\n\r\n"))
    result = local().fetch(site.url("/junk"))
    assert result.error == "bad_response"


# -- time ---------------------------------------------------------------------------------------


def test_a_slow_server_times_out(site: Site) -> None:
    site.pages["/slow"] = Page(writer=lambda out: time.sleep(3))
    started = time.monotonic()
    result = local(timeout=0.5).fetch(site.url("/slow"))  # the server waits 3 s
    assert result.error == "timeout"
    assert time.monotonic() - started < 2


@pytest.mark.parametrize("phase", ["headers", "body"])
def test_a_dripping_server_cannot_stretch_the_deadline(site: Site, phase: str) -> None:
    # Each byte comes well inside a per-read timeout; only a deadline for the whole fetch stops it.
    def drip(out: BufferedIOBase) -> None:
        head = b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 100000\r\n"
        if phase == "body":
            out.write(head + b"\r\n")
        for _ in range(200):
            out.write(b"X-Slow: y\r\n" if phase == "headers" else b"y")
            out.flush()
            time.sleep(0.1)

    site.pages["/drip"] = Page(writer=drip)
    started = time.monotonic()
    result = local(timeout=1.0).fetch(site.url("/drip"))
    assert result.error == "timeout"
    assert time.monotonic() - started < 2.5  # 200 drips would take 20 s


def test_a_hanging_name_server_times_out() -> None:
    def hanging(host: str, port: int) -> list[str]:
        time.sleep(3)
        return ["93.184.216.34"]

    started = time.monotonic()
    result = SafeFetcher(timeout=0.3, resolve=hanging).fetch("https://slow-dns.test/")
    assert result.error == "timeout"
    assert time.monotonic() - started < 2  # the name server answers after 3 s


# -- TLS: the pinned address is verified against the site's name ------------------------------


@pytest.fixture(scope="module")
def tls_files(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, Path]:
    """A throwaway CA and a certificate it signed for app.test."""
    now = dt.datetime.now(dt.UTC)
    ca_key, leaf_key = ec.generate_private_key(ec.SECP256R1()), ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Test CA")])
    ca = (
        x509.CertificateBuilder()
        .subject_name(ca_name)
        .issuer_name(ca_name)
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(False, False, False, False, False, True, True, False, False), critical=True
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    leaf = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "app.test")]))
        .issuer_name(ca_name)
        .public_key(leaf_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName("app.test")]), critical=False)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.ExtendedKeyUsage([x509.oid.ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), critical=False
        )
        .sign(ca_key, hashes.SHA256())
    )
    folder = tmp_path_factory.mktemp("tls")
    ca_pem, cert_pem, key_pem = folder / "ca.pem", folder / "cert.pem", folder / "key.pem"
    ca_pem.write_bytes(ca.public_bytes(serialization.Encoding.PEM))
    cert_pem.write_bytes(leaf.public_bytes(serialization.Encoding.PEM))
    key_pem.write_bytes(
        leaf_key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    )
    return ca_pem, cert_pem, key_pem


@pytest.fixture
def tls_site(tls_files: tuple[Path, Path, Path]) -> Iterator[tuple[Site, list[str | None]]]:
    _, cert_pem, key_pem = tls_files
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert_pem, key_pem)
    server_names: list[str | None] = []

    def record(sock: ssl.SSLObject, name: str | None, ctx: ssl.SSLContext) -> None:
        server_names.append(name)

    context.sni_callback = record
    served, stop = start_site(context)
    yield served, server_names
    stop()


def test_https_to_a_pinned_address_sends_sni_and_checks_the_name(
    tls_files: tuple[Path, Path, Path], tls_site: tuple[Site, list[str | None]]
) -> None:
    site, server_names = tls_site
    site.page("/", "<title>Secure Acme</title>")
    client_context = ssl.create_default_context(cafile=str(tls_files[0]))
    dns = FakeDNS({"app.test": [["127.0.0.1"]], "other.test": [["127.0.0.1"]]})
    fetcher = local(resolve=dns, ssl_context=client_context)

    good = fetcher.fetch(site.url("/", host="app.test"))
    assert good.ok and "Secure Acme" in good.text
    assert server_names == ["app.test"]  # SNI carries the site's name though the socket went to an IP

    wrong = fetcher.fetch(site.url("/", host="other.test"))  # same address, certificate not for it
    assert wrong.error == "tls_error"

    untrusted = local(resolve=dns).fetch(site.url("/", host="app.test"))  # system CAs: unknown issuer
    assert untrusted.error == "tls_error"
