"""The pre-checks a reviewer sees, run against a real local site (VERIFY-4, VERIFY-5, LIMIT-5).

Made-up names (acme.test, play.google.com ...) resolve to the local server through the
fetcher's resolver, so host-based rules are exercised on real fetches.
"""

from __future__ import annotations

import json
import time

import pytest

from consentry.domain.verification.fetcher import ERRORS, SafeFetcher
from consentry.domain.verification.html_text import Link, extract
from consentry.domain.verification.prechecks import PrecheckResult, from_json, run_prechecks, to_json
from consentry.domain.verification.site_rules import (
    on_domain,
    registrable_domain,
    sign_in_marker,
    store_or_social,
)
from tests.unit.domain.verification.conftest import Site

HOSTS = ("acme.test", "www.acme.test", "other.test", "play.google.com", "alice.github.io")

GOOD_HOME = """<!doctype html><html><head><title>Acme Notes - notes that sync</title>
<script>document.title = "Something else"; var a = "<a href='/elsewhere'>";</script></head>
<body><nav><a href="/privacy">Privacy policy</a> | <a href="/terms#top">Terms</a></nav>
<h1>Acme Notes</h1><p>Acme Notes keeps your notes in sync on every device.</p></body></html>"""

ACCESS = "<p>We access your email address and calendar data when you connect your account.</p>"
USE = "<p>We use this information only to sync your notes.</p>"
STORE = "<p>We store your data encrypted and delete it 30 days after you close your account.</p>"
SHARE = "<p>We do not share user data with third parties, except our hosting provider.</p>"
LIMITED = (
    "<p>Acme Notes' use and transfer to any other app of information received from Consentry APIs "
    "will adhere to the Consentry API Services User Data Policy, including the Limited Use requirements.</p>"
)
GOOD_POLICY = f"<title>Privacy policy</title><h1>Privacy policy</h1>{ACCESS}{USE}{STORE}{SHARE}{LIMITED}"

ORDER = [
    "home_page_reachable",
    "home_page_public",
    "home_page_on_verified_domain",
    "home_page_not_store_or_social",
    "home_page_names_app",
    "home_page_links_privacy_policy",
    "home_page_links_terms",
    "privacy_policy_reachable",
    "privacy_policy_same_domain",
    "privacy_policy_describes_data_use",
    "privacy_policy_limited_use",
]


def fetcher_for(site: Site) -> SafeFetcher:
    return SafeFetcher(
        allow_private=True, timeout=3, resolve=lambda host, port: ["127.0.0.1"] if host in HOSTS else []
    )


def run(
    site: Site,
    *,
    home: str = "/",
    policy: str = "/privacy",
    terms: str = "/terms",
    host: str = "acme.test",
    policy_host: str | None = None,
    verified: set[str] | None = None,
    app_name: str = "Acme Notes",
    fetcher: SafeFetcher | None = None,
) -> dict[str, PrecheckResult]:
    results = run_prechecks(
        fetcher or fetcher_for(site),
        app_name=app_name,
        home_page=site.url(home, host=host),
        privacy_policy=site.url(policy, host=policy_host or host),
        terms=site.url(terms, host=host) if terms else "",
        verified_domains={"acme.test"} if verified is None else verified,
    )
    by_code = {r.code: r for r in results}
    assert len(by_code) == len(results)  # one result per check
    assert all(len(r.excerpt) <= 200 for r in results)
    return by_code


def good_site(site: Site) -> None:
    site.page("/", GOOD_HOME)
    site.page("/privacy", GOOD_POLICY)
    site.page("/terms", "<h1>Terms</h1>")


def failed(results: dict[str, PrecheckResult]) -> set[str]:
    return {code for code, r in results.items() if not r.passed}


# -- the whole set ------------------------------------------------------------------------------


def test_a_good_site_passes_every_check_with_evidence(site: Site) -> None:
    good_site(site)
    results = run(site)
    assert list(results) == ORDER
    assert failed(results) == set()
    for result in results.values():
        assert result.message and result.excerpt
        assert result.url.startswith(f"http://acme.test:{site.port}/")
    assert results["home_page_reachable"].status == 200
    assert results["home_page_names_app"].excerpt.startswith("Acme Notes")
    assert (
        results["home_page_links_privacy_policy"].excerpt
        == f"Privacy policy -> {site.url('/privacy', 'acme.test')}"
    )
    assert "Limited Use requirements" in results["privacy_policy_limited_use"].excerpt
    assert results["privacy_policy_describes_data_use"].excerpt.startswith("access: We access your email")
    # Two fetches (home page, policy); the terms page is only looked for as a link.
    assert site.paths() == ["/", "/privacy"]


def test_results_survive_storage(site: Site) -> None:
    good_site(site)
    results = list(run(site).values())
    stored = json.loads(json.dumps(to_json(results)))
    assert stored[0] == {
        "code": "home_page_reachable",
        "passed": True,
        "message": "The home page loads.",
        "url": site.url("/", "acme.test"),
        "status": 200,
        "excerpt": "Acme Notes - notes that sync",
    }
    assert from_json([{**row, "added_later": 1} for row in stored]) == results


def test_terms_are_optional(site: Site) -> None:
    good_site(site)
    results = run(site, terms="")
    assert "home_page_links_terms" not in results and failed(results) == set()


# -- VERIFY-4: the home page --------------------------------------------------------------------


def test_an_unreachable_home_page_fails_and_says_what_was_not_checked(site: Site) -> None:
    site.page("/privacy", GOOD_POLICY)
    results = run(site, home="/gone")
    reachable = results["home_page_reachable"]
    assert not reachable.passed and reachable.status == 404
    assert "HTTP 404" in reachable.message and "Not found" in reachable.excerpt
    for code in (
        "home_page_public",
        "home_page_names_app",
        "home_page_links_privacy_policy",
        "home_page_links_terms",
    ):
        assert not results[code].passed
        assert results[code].message.startswith(
            "Not checked: the home page could not be fetched (it answered HTTP 404)"
        )
    # Checks on the address alone still run.
    assert results["home_page_on_verified_domain"].passed
    assert results["home_page_not_store_or_social"].passed
    assert results["privacy_policy_describes_data_use"].passed


def test_a_home_page_the_fetcher_refuses_says_why(site: Site) -> None:
    good_site(site)
    results = run(site, host="127.0.0.1", verified={"127.0.0.1"}, fetcher=SafeFetcher())
    assert not results["home_page_reachable"].passed
    assert ERRORS["private_address"] in results["home_page_reachable"].message


def test_a_home_page_that_redirects_to_sign_in_is_not_public(site: Site) -> None:
    good_site(site)
    site.redirect("/app", "/login?next=/app")
    site.page("/login", "<title>Acme Notes</title><h1>Acme Notes</h1><a href='/privacy'>Privacy</a>")
    results = run(site, home="/app")
    public = results["home_page_public"]
    assert not public.passed
    assert "sign-in" in public.message and "'login'" in public.message
    assert public.excerpt == site.url("/login?next=/app", "acme.test")
    assert results["home_page_reachable"].passed  # it loads; it is just not public


def test_a_home_page_with_a_password_field_is_not_public(site: Site) -> None:
    good_site(site)
    site.page("/", GOOD_HOME.replace("</body>", "<form><input type='password' name='pw'></form></body>"))
    public = run(site)["home_page_public"]
    assert not public.passed and "asks for a password" in public.message


def test_a_home_page_answering_401_asks_for_sign_in(site: Site) -> None:
    good_site(site)
    site.page("/", "<h1>Sign in</h1>", status=401)
    public = run(site)["home_page_public"]
    assert not public.passed and "asks for sign-in (HTTP 401)" in public.message


def test_a_home_page_off_the_verified_domains_fails(site: Site) -> None:
    good_site(site)
    results = run(site, verified={"other.test"})
    on_domain_result = results["home_page_on_verified_domain"]
    assert not on_domain_result.passed
    assert "Verify acme.test" in on_domain_result.message and "other.test" in on_domain_result.message
    assert on_domain_result.excerpt == "acme.test"
    assert "none yet" in run(site, verified=set())["home_page_on_verified_domain"].message


def test_a_home_page_redirecting_off_the_verified_domain_fails(site: Site) -> None:
    good_site(site)
    site.redirect("/moved", site.url("/", host="other.test"))
    result = run(site, home="/moved")["home_page_on_verified_domain"]
    assert not result.passed and result.excerpt == "other.test"


def test_a_store_listing_is_not_a_home_page(site: Site) -> None:
    good_site(site)
    site.page("/store/apps/details", GOOD_HOME)
    results = run(site, home="/store/apps/details?id=acme", host="play.google.com", policy_host="acme.test")
    store = results["home_page_not_store_or_social"]
    assert not store.passed
    assert "play.google.com" in store.message and "store listing or social page" in store.message
    assert store.excerpt.startswith(f"http://play.google.com:{site.port}/store/apps/details")
    assert not results["home_page_on_verified_domain"].passed
    assert not results["privacy_policy_same_domain"].passed


def test_the_home_page_must_name_the_app_in_what_a_reader_sees(site: Site) -> None:
    good_site(site)
    site.page("/", "<title>Welcome</title><script>document.body.innerHTML='Acme Notes'</script><p>Hello.</p>")
    named = run(site)["home_page_names_app"]
    assert not named.passed
    assert "does not mention 'Acme Notes'" in named.message and named.excerpt == "Welcome"


def test_the_app_name_matches_across_case_and_punctuation(site: Site) -> None:
    good_site(site)
    site.page("/", "<p>Try ACME-notes today.</p><a href='/privacy'>Privacy</a>")
    named = run(site)["home_page_names_app"]
    assert named.passed and "ACME-notes" in named.excerpt


# -- VERIFY-5: links and the privacy policy ----------------------------------------------------


def test_a_home_page_without_a_privacy_link_fails_and_shows_what_it_has(site: Site) -> None:
    good_site(site)
    site.page(
        "/", GOOD_HOME.replace('href="/privacy"', 'href="/privacy-old"').replace('href="/terms#top"', "")
    )
    results = run(site)
    link = results["home_page_links_privacy_policy"]
    assert not link.passed and "no link to the privacy policy" in link.message
    assert link.excerpt == f"Privacy policy -> {site.url('/privacy-old', 'acme.test')}"
    assert not results["home_page_links_terms"].passed


def test_a_link_to_either_end_of_the_policy_redirect_counts(site: Site) -> None:
    good_site(site)
    site.redirect("/legal/privacy", "/privacy", status=301)
    results = run(site, policy="/legal/privacy")
    assert results["home_page_links_privacy_policy"].passed
    assert results["privacy_policy_reachable"].url == site.url("/privacy", "acme.test")


def test_an_unreachable_policy_fails_its_dependent_checks(site: Site) -> None:
    site.page("/", GOOD_HOME)
    site.page("/privacy", "<h1>Down</h1>", status=503)
    results = run(site)
    assert not results["privacy_policy_reachable"].passed
    assert "HTTP 503" in results["privacy_policy_reachable"].message
    for code in ("privacy_policy_describes_data_use", "privacy_policy_limited_use"):
        assert results[code].message.startswith("Not checked: the privacy policy could not be fetched")
    assert results["privacy_policy_same_domain"].passed  # judged on the address


def test_a_policy_behind_sign_in_is_not_visible_to_users(site: Site) -> None:
    good_site(site)
    site.redirect("/privacy", "/signin")
    site.page("/signin", "<form><input type=password></form>")
    result = run(site)["privacy_policy_reachable"]
    assert not result.passed and "not visible to users" in result.message


def test_the_policy_must_be_on_the_home_pages_domain(site: Site) -> None:
    good_site(site)
    elsewhere = run(site, policy_host="other.test")["privacy_policy_same_domain"]
    assert not elsewhere.passed
    assert "on other.test, the home page on acme.test" in elsewhere.message
    assert run(site, policy_host="www.acme.test")["privacy_policy_same_domain"].passed


def test_two_tenants_of_a_shared_host_are_not_one_domain(site: Site) -> None:
    good_site(site)
    results = run(site, host="alice.github.io", policy_host="acme.test", verified={"alice.github.io"})
    assert results["home_page_on_verified_domain"].passed
    assert not results["privacy_policy_same_domain"].passed


def test_a_policy_silent_on_storing_and_sharing_fails_and_names_them(site: Site) -> None:
    good_site(site)
    site.page("/privacy", f"<h1>Privacy</h1>{ACCESS}{USE}<p>We keep things simple.</p>{LIMITED}")
    result = run(site)["privacy_policy_describes_data_use"]
    assert not result.passed
    assert "how the app stores or shares user data (missing: store, share)" in result.message
    assert result.excerpt.startswith("access: We access")


def test_each_missing_aspect_is_named(site: Site) -> None:
    good_site(site)
    for missing, body in {"access": USE + STORE + SHARE, "use": ACCESS + STORE + SHARE}.items():
        site.page("/privacy", body + LIMITED)
        result = run(site)["privacy_policy_describes_data_use"]
        assert not result.passed and f"(missing: {missing})" in result.message


def test_a_policy_without_a_limited_use_statement_fails(site: Site) -> None:
    good_site(site)
    site.page("/privacy", f"{ACCESS}{USE}{STORE}{SHARE}")
    result = run(site)["privacy_policy_limited_use"]
    assert not result.passed and "Limited Use requirements" in result.message


def test_the_words_limited_use_alone_are_not_a_statement(site: Site) -> None:
    # LIMIT-5: the phrase must sit near "requirements" or "User Data Policy".
    good_site(site)
    site.page("/privacy", f"{ACCESS}{USE}{STORE}{SHARE}<p>Our free tier is for limited use only.</p>")
    result = run(site)["privacy_policy_limited_use"]
    assert not result.passed and "limited use only" in result.excerpt


def test_a_limited_use_statement_on_the_home_page_counts(site: Site) -> None:
    # LIMIT-5: "in the app or on its website, e.g. linked from the home page or privacy policy".
    good_site(site)
    site.page("/", GOOD_HOME.replace("</body>", f"{LIMITED}</body>"))
    site.page("/privacy", f"{ACCESS}{USE}{STORE}{SHARE}")
    result = run(site)["privacy_policy_limited_use"]
    assert result.passed and "home page" in result.message
    assert result.url == site.url("/", "acme.test")


# -- what the checks read: visible text and links, nothing run ---------------------------------


def test_visible_text_leaves_out_scripts_styles_and_comments() -> None:
    page = extract(
        "<html><head><title> Acme &amp; Co </title><style>p{color:red}</style></head><body>"
        "<script>document.write('<p>injected</p>')</script><!-- secret --><template>later</template>"
        "<p>Hello <b>world</b></p><div>Second</div></body>",
        "https://acme.test/",
    )
    assert page.title == "Acme & Co"
    assert page.text == "Hello world\nSecond"
    assert not page.has_password_field


def test_links_are_absolute_http_without_fragments() -> None:
    page = extract(
        "<base href='/docs/'><a href='privacy#top'>Privacy <i>policy</i></a> <a href='javascript:alert(1)'>x</a>"
        "<a href='mailto:a@b.c'>mail</a><a href='http://[::1'>broken</a><a href='//cdn.test/t'>T</a>",
        "https://acme.test/home",
    )
    assert page.links == (
        Link("https://acme.test/docs/privacy", "Privacy policy"),
        Link("https://cdn.test/t", "T"),
    )


@pytest.mark.parametrize(
    "hostile",
    ["<a " * 40_000, "<!--x>" * 20_000, "<![CDATA[x]>" * 10_000, "</" * 60_000, "<a" * 60_000],
)
def test_hostile_markup_is_read_in_bounded_time(hostile: str) -> None:
    # Python 3.11's parser takes minutes on these (it rescans the page per unclosed "<").
    started = time.monotonic()
    extract(hostile + "<p>after</p>", "https://acme.test/")
    assert time.monotonic() - started < 2


def test_link_count_is_capped() -> None:
    page = extract("<a href='/x'>x</a>" * 50, "https://acme.test/", max_links=10)
    assert len(page.links) == 10


# -- the site rules, as data -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("host", "registrable"),
    [
        ("www.example.com", "example.com"),
        ("a.b.example.co.uk", "example.co.uk"),
        ("shop.example.com.au", "example.com.au"),
        ("alice.github.io", "alice.github.io"),
        ("Example.COM.", "example.com"),
        ("203.0.113.5", "203.0.113.5"),
        ("localhost", "localhost"),
    ],
)
def test_registrable_domain(host: str, registrable: str) -> None:
    assert registrable_domain(host) == registrable


@pytest.mark.parametrize(
    ("host", "site"),
    [
        ("play.google.com", "play.google.com"),
        ("www.facebook.com", "facebook.com"),
        ("m.youtube.com", "youtube.com"),
        ("x.com", "x.com"),
        ("apps.apple.com", "apps.apple.com"),
        ("github.com", "github.com"),
        ("google.com", None),
        ("notfacebook.com", None),
        ("alice.github.io", None),
        ("acme.test", None),
    ],
)
def test_store_or_social_matches_on_the_domain_suffix(host: str, site: str | None) -> None:
    assert store_or_social(host) == site


def test_a_verified_domain_covers_its_subdomains_only() -> None:
    assert on_domain("app.acme.test", "acme.test") and on_domain("ACME.test.", "acme.test")
    assert not on_domain("evilacme.test", "acme.test") and not on_domain("acme.test", "")


@pytest.mark.parametrize(
    ("url", "marker"),
    [
        ("https://acme.test/login?next=/", "login"),
        ("https://accounts.acme.test/", "accounts"),
        ("https://acme.test/oauth2/authorize", "oauth2"),
        ("https://acme.test/", None),
        ("https://acme.test/blog/logins-explained", None),
    ],
)
def test_sign_in_pages_are_recognised(url: str, marker: str | None) -> None:
    assert sign_in_marker(url) == marker
