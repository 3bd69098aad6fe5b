"""The automatic pre-checks a reviewer sees beside a verification request (VERIFY-4, VERIFY-5, LIMIT-5).

Each check is one ``PrecheckResult``: a stable code, pass or fail, what to fix in plain
words, and the evidence (URL, HTTP status, an excerpt of at most 200 characters). They
advise; the reviewer decides. Pages are fetched with ``SafeFetcher`` (no SSRF, bounded)
and read with ``html_text`` (no scripts run). The word lists below are data so a reviewer
can see, and widen, exactly what a check looks for.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass, fields
from typing import Any, Protocol
from urllib.parse import urlsplit

from consentry.domain.verification.fetcher import ERRORS, FetchResult
from consentry.domain.verification.html_text import Link, PageText, extract
from consentry.domain.verification.site_rules import (
    host_of,
    on_domain,
    registrable_domain,
    sign_in_marker,
    store_or_social,
)

EXCERPT = 200

#: The four things a privacy policy must say about user data (VERIFY-5), each as the verbs
#: that say it; a sentence counts when it also names the data (DATA_WORDS).
DATA_USE_ASPECTS: dict[str, str] = {
    "access": r"collect\w*|access\w*|obtain\w*|gather\w*|receiv\w*|request\w*",
    "use": r"us(?:e|es|ed|ing|age)|process\w*|utili[sz]\w*",
    "store": r"stor(?:e|es|ed|ing|age)|retain\w*|retention|keep\w*|kept|sav(?:e|es|ed|ing)|delet\w*",
    "share": r"shar(?:e|es|ed|ing)|disclos\w*|transfer\w*|sell\w*|sold|third[- ]part\w*",
}
DATA_WORDS = r"data|information|content|e-?mails?|files?|messages?|calendars?|contacts?|personal|account"
#: LIMIT-5: "Limited Use" near the words the affirmative statement uses.
LIMITED_USE = re.compile(r"limited\s+use", re.IGNORECASE)
LIMITED_USE_CONTEXT = re.compile(r"requirements?|user\s+data\s+polic(?:y|ies)", re.IGNORECASE)
LIMITED_USE_REACH = 200

_ASPECTS = {name: re.compile(rf"\b(?:{verbs})\b", re.IGNORECASE) for name, verbs in DATA_USE_ASPECTS.items()}
_DATA = re.compile(rf"\b(?:{DATA_WORDS})\b", re.IGNORECASE)
_SENTENCES = re.compile(r"(?<=[.!?;])\s+|\n+")
_MAX_SENTENCES = 5_000


class Fetcher(Protocol):
    def fetch(self, url: str) -> FetchResult: ...


@dataclass(frozen=True)
class PrecheckResult:
    code: str
    passed: bool
    #: What was found, and if failed what to fix, in plain words.
    message: str
    url: str
    status: int | None
    #: At most 200 characters: the text that proved it, or what was found instead.
    excerpt: str


@dataclass(frozen=True)
class _Page:
    """A fetched page, read: usable when the answer was 2xx (a page cut at the size limit is usable)."""

    fetched: FetchResult
    read: PageText

    @property
    def url(self) -> str:
        return self.fetched.final_url or self.fetched.url

    @property
    def usable(self) -> bool:
        status = self.fetched.status
        return status is not None and 200 <= status < 300 and self.fetched.error in (None, "too_large")

    def why_not(self) -> str:
        error = self.fetched.error
        if error == "http_error":
            return f"it answered HTTP {self.fetched.status}"
        return ERRORS.get(error or "", "it gave no answer")


def run_prechecks(
    fetcher: Fetcher,
    *,
    app_name: str,
    home_page: str,
    privacy_policy: str,
    terms: str,
    verified_domains: set[str],
) -> list[PrecheckResult]:
    """Fetches the home page and the privacy policy once each and runs every check on them.

    The terms link is checked only when terms are given (they are optional, VERIFY-5); the
    terms page itself is not fetched.
    """
    cache: dict[str, _Page] = {}

    def page(url: str) -> _Page:
        if url not in cache:
            fetched = fetcher.fetch(url)
            cache[url] = _Page(fetched, extract(fetched.text, fetched.final_url or url))
        return cache[url]

    home, policy = page(home_page), page(privacy_policy)
    policy_urls = [privacy_policy, policy.url]  # a link to either end of a redirect counts
    results = [
        _reachable("home_page_reachable", "home page", home),
        _public(home),
        _on_verified_domain(home, verified_domains),
        _not_store_or_social(home),
        _names_app(home, app_name),
        _links_to(home, "home_page_links_privacy_policy", "privacy policy", policy_urls, "privacy"),
    ]
    if terms.strip():
        results.append(_links_to(home, "home_page_links_terms", "terms of service", [terms], "terms"))
    results += [
        _reachable("privacy_policy_reachable", "privacy policy", policy, must_be_public=True),
        _same_domain(home, policy),
        _describes_data_use(policy),
        _limited_use(policy, home),
    ]
    return results


def to_json(results: Iterable[PrecheckResult]) -> list[dict[str, Any]]:
    """Plain dicts for the request's ``prechecks`` column."""
    return [asdict(result) for result in results]


def from_json(rows: Iterable[Mapping[str, Any]]) -> list[PrecheckResult]:
    """Back from storage; unknown keys (from a newer version) are ignored."""
    names = {f.name for f in fields(PrecheckResult)}
    return [PrecheckResult(**{k: v for k, v in row.items() if k in names}) for row in rows]


# -- the checks -------------------------------------------------------------------------------


def _result(
    code: str, passed: bool, message: str, page: _Page | None, excerpt: str, url: str = ""
) -> PrecheckResult:
    return PrecheckResult(
        code=code,
        passed=passed,
        message=message,
        url=url or (page.url if page else ""),
        status=page.fetched.status if page else None,
        excerpt=_clip(excerpt),
    )


def _not_checked(code: str, what: str, page: _Page) -> PrecheckResult:
    return _result(
        code,
        False,
        f"Not checked: the {what} could not be fetched ({page.why_not()}). Fix that first.",
        page,
        page.fetched.detail,
    )


def _reachable(code: str, what: str, page: _Page, *, must_be_public: bool = False) -> PrecheckResult:
    """Loads with a 2xx; the privacy policy must also be visible to users (VERIFY-5)."""
    if not page.usable:
        return _result(
            code,
            False,
            f"The {what} could not be fetched: {page.why_not()}. It must load for anyone, without sign-in.",
            page,
            f"{page.fetched.detail}: {page.read.text}" if page.read.text else page.fetched.detail,
        )
    if must_be_public and (blocker := _sign_in_blocker(page)):
        return _result(code, False, f"The privacy policy is not visible to users: {blocker}.", page, page.url)
    return _result(code, True, f"The {what} loads.", page, page.read.title or page.read.text)


def _sign_in_blocker(page: _Page) -> str:
    """Why page is behind a sign-in, or "" when it is public."""
    if marker := sign_in_marker(page.url):
        return f"it leads to a sign-in page ({marker!r} in {page.url})"
    if page.read.has_password_field:
        return "it asks for a password"
    return ""


def _public(home: _Page) -> PrecheckResult:
    code = "home_page_public"
    if home.fetched.status in (401, 403):
        message = f"The home page asks for sign-in (HTTP {home.fetched.status}). It must be public."
        return _result(code, False, message, home, home.fetched.detail)
    if not home.usable:
        return _not_checked(code, "home page", home)
    if blocker := _sign_in_blocker(home):
        message = f"The home page is behind a sign-in: {blocker}. Make it public."
        return _result(code, False, message, home, home.url)
    return _result(code, True, "The home page is public: no sign-in, no password field.", home, home.url)


def _on_verified_domain(home: _Page, verified: set[str]) -> PrecheckResult:
    code = "home_page_on_verified_domain"
    hosts = {host_of(home.fetched.url)} | ({host_of(home.url)} if home.usable else set())
    hosts.discard("")
    if not hosts:
        return _result(code, False, "The home page address has no host name.", home, home.fetched.url)
    outside = sorted(h for h in hosts if not any(on_domain(h, d) for d in verified))
    if outside:
        wanted = ", ".join(sorted({registrable_domain(h) for h in outside}))
        listed = ", ".join(sorted(verified)) or "none yet"
        message = f"The home page is not on a verified domain. Verify {wanted} (verified: {listed})."
        return _result(code, False, message, home, ", ".join(outside))
    return _result(code, True, "The home page is on a verified domain.", home, ", ".join(sorted(hosts)))


def _not_store_or_social(home: _Page) -> PrecheckResult:
    code = "home_page_not_store_or_social"
    urls = [home.fetched.url] + ([home.url] if home.usable else [])
    for url in urls:
        if site := store_or_social(host_of(url)):
            message = (
                f"The home page is on {site}, a store listing or social page. "
                "Use a page on the app's own verified domain."
            )
            return _result(code, False, message, home, url, url=url)
    return _result(
        code, True, "The home page is not a store listing or social page.", home, host_of(urls[-1])
    )


def _names_app(home: _Page, app_name: str) -> PrecheckResult:
    code = "home_page_names_app"
    words = re.findall(r"\w+", app_name)
    if not words:
        return _result(code, False, "The app has no name to look for; set one in the brand.", home, "")
    if not home.usable:
        return _not_checked(code, "home page", home)
    pattern = re.compile(r"\b" + r"[\W_]+".join(map(re.escape, words)) + r"\b", re.IGNORECASE)
    for text in (home.read.title, home.read.text):
        if found := pattern.search(text):
            return _result(
                code, True, f"The home page names the app ({app_name}).", home, _around(text, found)
            )
    message = (
        f"The home page does not mention {app_name!r} in its title or text (scripts are not run). "
        "It must describe the app by name."
    )
    return _result(code, False, message, home, home.read.title or home.read.text)


def _links_to(home: _Page, code: str, what: str, targets: list[str], hint: str) -> PrecheckResult:
    if not home.usable:
        return _not_checked(code, "home page", home)
    wanted = {_link_key(url) for url in targets}
    for link in home.read.links:
        if _link_key(link.url) in wanted:
            return _result(code, True, f"The home page links the {what}.", home, _show(link))
    near = [link for link in home.read.links if hint in (link.url + " " + link.text).lower()]
    found = "; ".join(_show(link) for link in near) or f"{len(home.read.links)} links, none to it"
    message = f"The home page has no link to the {what} ({targets[0]}). Add a visible link to it."
    return _result(code, False, message, home, found)


def _same_domain(home: _Page, policy: _Page) -> PrecheckResult:
    code = "privacy_policy_same_domain"
    home_site = registrable_domain(host_of(home.fetched.url))
    urls = [policy.fetched.url] + ([policy.url] if policy.usable else [])
    for url in urls:
        site = registrable_domain(host_of(url))
        if not site or site != home_site:
            message = (
                f"The privacy policy is on {site or 'no host'}, the home page on {home_site or 'no host'}. "
                "Publish the policy on the home page's domain."
            )
            return _result(code, False, message, policy, url, url=url)
    message = f"The privacy policy is on the home page's domain ({home_site})."
    return _result(code, True, message, policy, urls[-1])


def _describes_data_use(policy: _Page) -> PrecheckResult:
    code = "privacy_policy_describes_data_use"
    if not policy.usable:
        return _not_checked(code, "privacy policy", policy)
    # The Limited Use statement is boilerplate ("use and transfer ... received"), not a description.
    sentences = [
        s
        for s in _SENTENCES.split(policy.read.text)[:_MAX_SENTENCES]
        if _DATA.search(s) and not LIMITED_USE.search(s)
    ]
    said = {
        aspect: next((s for s in sentences if pattern.search(s)), "") for aspect, pattern in _ASPECTS.items()
    }
    missing = [aspect for aspect, sentence in said.items() if not sentence]
    shown = " | ".join(f"{a}: {s.strip()[:45]}" for a, s in said.items() if s)
    if missing:
        message = (
            f"The privacy policy does not say how the app {_or_list(missing)} user data "
            f"(missing: {', '.join(missing)}). Add sentences saying how user data is accessed, used, "
            "stored and shared."
        )
        return _result(code, False, message, policy, shown or policy.read.text)
    return _result(
        code,
        True,
        "The privacy policy says how user data is accessed, used, stored and shared.",
        policy,
        shown,
    )


def _limited_use(policy: _Page, home: _Page) -> PrecheckResult:
    """LIMIT-5: the statement may sit in the policy or, failing that, on the home page."""
    code = "privacy_policy_limited_use"
    if not policy.usable:
        return _not_checked(code, "privacy policy", policy)
    for page in (policy, home) if home.usable else (policy,):
        text = page.read.text
        for found in LIMITED_USE.finditer(text):
            start, end = max(0, found.start() - LIMITED_USE_REACH), found.end() + LIMITED_USE_REACH
            if LIMITED_USE_CONTEXT.search(text, start, end):
                where = "privacy policy" if page is policy else "home page"
                return _result(
                    code, True, f"The {where} carries a Limited Use statement.", page, _around(text, found)
                )
    bare = LIMITED_USE.search(policy.read.text)
    message = (
        "No Limited Use statement found: the privacy policy should state that the app's use of data "
        "from the APIs adheres to the User Data Policy, including the Limited Use requirements."
    )
    return _result(
        code, False, message, policy, _around(policy.read.text, bare) if bare else policy.read.text
    )


# -- small helpers ------------------------------------------------------------------------------


def _link_key(url: str) -> tuple[str, str, str]:
    """Compares links loosely: scheme, "www.", default ports, a trailing slash and fragment ignored."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return ("", url, "")
    host = host_of(url).removeprefix("www.")
    port = parts.port if parts.port not in (None, 80, 443) else None
    return (f"{host}:{port}" if port else host, parts.path.rstrip("/") or "/", parts.query)


def _show(link: Link) -> str:
    return f"{link.text} -> {link.url}" if link.text else link.url


def _around(text: str, found: re.Match[str]) -> str:
    """About EXCERPT characters of text centred on the match."""
    pad = max(0, (EXCERPT - (found.end() - found.start())) // 2)
    start = max(0, found.start() - pad)
    return _clip(text[start : start + EXCERPT].replace("\n", " "))


def _clip(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= EXCERPT else text[: EXCERPT - 1] + "…"


def _or_list(items: list[str]) -> str:
    verbs = {"access": "accesses", "use": "uses", "store": "stores", "share": "shares"}
    said = [verbs.get(item, item) for item in items]
    return said[0] if len(said) == 1 else ", ".join(said[:-1]) + " or " + said[-1]
