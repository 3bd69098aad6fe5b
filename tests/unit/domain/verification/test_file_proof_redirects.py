"""A domain's well-known file counts only when that domain serves it (VERIFY-3, review finding)."""

from __future__ import annotations

from consentry.domain.verification.fetcher import SafeFetcher
from consentry.web.console.checkers import file_fetch
from tests.unit.domain.verification.conftest import Site
from tests.unit.domain.verification.test_fetcher import FakeDNS

PATH = "/.well-known/consentry-verification.txt"


def test_a_redirect_to_another_host_proves_nothing(site: Site) -> None:
    dns = FakeDNS({"victim.test": [["127.0.0.1"]], "attacker.test": [["127.0.0.1"]]})
    fetcher = SafeFetcher(allowed_networks=["127.0.0.1/32"], resolve=dns)
    site.redirect(PATH, site.url("/planted.txt", host="attacker.test"))
    site.page("/planted.txt", "the-challenge", content_type="text/plain")
    _status, text, error = file_fetch(fetcher)(site.url(PATH, host="victim.test"))
    assert text == "" and error is not None and "redirects to another site (attacker.test)" in error


def test_the_domain_serving_its_own_file_is_read(site: Site) -> None:
    dns = FakeDNS({"victim.test": [["127.0.0.1"]]})
    fetcher = SafeFetcher(allowed_networks=["127.0.0.1/32"], resolve=dns)
    site.page(PATH, "the-challenge", content_type="text/plain")
    status, text, error = file_fetch(fetcher)(site.url(PATH, host="victim.test"))
    assert (status, error) == (200, None) and "the-challenge" in text
