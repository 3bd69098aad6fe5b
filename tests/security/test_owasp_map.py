"""Which tests prove the server free of which OWASP Top 10 (2021) risk (SEC-7).

The map below names, per category claimed, the tests that prove it and the weakness (CWE) each
one closes. It cannot rot silently: every test it names must still be collected by pytest under
that name, and the ``# SEC-7 OWASP Axx:2021`` comments above the tests of the attack suite must
agree with it both ways (a comment nobody maps, or a mapped test without its comment, fails).

Not claimed, because no test proves it: A06 Vulnerable and Outdated Components (no dependency
audit runs in the suite) and A08 Software and Data Integrity Failures.
"""

from __future__ import annotations

import ast
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

SEC = "tests/security"
HTTPS = "tests/integration/test_https_only.py"
FETCHER = "tests/unit/domain/verification/test_fetcher.py"

#: Category -> (its name, [(test node id, the weakness the test shows closed)]).
OWASP: dict[str, tuple[str, list[tuple[str, str]]]] = {
    "A01": (
        "Broken Access Control",
        [
            (
                f"{SEC}/test_oidc_16_11_token_substitution.py::"
                "test_16_11_tokens_are_accepted_only_as_what_they_are_and_by_whom_they_were_issued_to",
                "CWE-639: another project's client can neither read nor revoke a user's tokens",
            ),
            (
                f"{SEC}/test_rfc6819_5_1_5_1_scope_escalation.py::test_5_1_5_1_scope_cannot_be_widened",
                "CWE-285: no request gets a token for more than the user granted",
            ),
            (
                f"{SEC}/test_rfc9700_4_11_open_redirection.py::"
                "test_4_11_2_the_authorization_server_is_no_open_redirector",
                "CWE-601: errors never redirect to an unregistered address",
            ),
            (
                f"{SEC}/test_rfc9700_4_1_redirect_uri_validation.py::"
                "test_4_1_redirect_uri_pattern_tricks_and_path_traversal_get_a_page_not_a_redirect",
                "CWE-601: the code goes only to the exact registered redirect URI",
            ),
            (
                f"{SEC}/test_rfc9700_4_7_csrf.py::"
                "test_4_7_the_servers_forms_need_the_sessions_csrf_token_and_flows_stay_in_their_browser",
                "CWE-352: cross-site posts of the consent and sign-in forms are refused",
            ),
        ],
    ),
    "A02": (
        "Cryptographic Failures",
        [
            (
                f"{SEC}/test_rfc9700_4_8_pkce_downgrade.py::test_4_8_pkce_cannot_be_downgraded",
                "CWE-327: PKCE only with SHA-256; 'plain' and unknown methods are refused",
            ),
            (
                f"{HTTPS}::test_every_answer_of_an_https_issuer_demands_https",
                "CWE-319: HSTS on every answer, so nothing travels in clear",
            ),
        ],
    ),
    "A03": (
        "Injection",
        [
            (
                f"{SEC}/test_rfc6819_5_1_4_1_2_sql_injection.py::"
                "test_5_1_4_1_2_injection_payloads_find_nothing_and_change_nothing",
                "CWE-89: SQL payloads in every looked-up parameter find nothing, change nothing",
            ),
            (
                f"{SEC}/test_xss_names_escaped.py::test_cwe_79_names_and_reflected_parameters_are_escaped",
                "CWE-79: names and reflected parameters are escaped on every page",
            ),
        ],
    ),
    "A04": (
        "Insecure Design",
        [
            (
                f"{SEC}/test_rfc6819_4_6_7_token_leakage_in_urls.py::"
                "test_4_6_7_no_endpoint_takes_a_token_or_secret_from_the_query",
                "CWE-598: no endpoint takes a token or a secret from the query string",
            ),
            (
                f"{SEC}/test_rfc9700_4_3_browser_history.py::"
                "test_4_3_history_holds_only_a_short_lived_single_use_code_and_nothing_is_cached",
                "CWE-525: the flow's pages and the token response are never cached",
            ),
            (
                f"{SEC}/test_fuzz_openapi.py::test_fuzz_openapi_no_server_errors",
                "CWE-209: no input makes an API answer with a server error or a traceback",
            ),
        ],
    ),
    "A05": (
        "Security Misconfiguration",
        [
            (
                f"{SEC}/test_rfc9700_4_16_clickjacking.py::test_4_16_every_html_page_refuses_to_be_framed",
                "CWE-1021: every page sends the anti-framing security headers",
            ),
            (
                f"{HTTPS}::test_every_cookie_of_an_https_issuer_is_secure",
                "CWE-614: every cookie is Secure (and HttpOnly) under an https issuer",
            ),
            (
                f"{HTTPS}::test_production_refuses_to_run_without_https",
                "An insecure configuration (plain http in production) does not start",
            ),
        ],
    ),
    "A07": (
        "Identification and Authentication Failures",
        [
            (
                f"{SEC}/test_session_fixation.py::test_session_fixation_sign_in_replaces_the_session_cookie",
                "CWE-384: signing in replaces the session id; a planted one is worthless",
            ),
            (
                f"{SEC}/test_rfc9700_4_15_client_impersonating_resource_owner.py::"
                "test_4_15_clients_prove_who_they_are_and_their_tokens_never_stand_for_a_user",
                "CWE-287: clients authenticate with their own secret; a client token is no user",
            ),
            (
                f"{SEC}/test_rfc9700_4_5_code_injection.py::test_4_5_an_injected_code_is_refused_and_changes_nothing",
                "CWE-294: a stolen code cannot be redeemed in another context",
            ),
            (
                f"{SEC}/test_rfc9700_4_14_refresh_token_protection.py::"
                "test_4_14_2_sender_constraint_rotation_and_replay_revokes_the_whole_grant",
                "CWE-294: a replayed refresh token revokes the whole grant",
            ),
        ],
    ),
    "A09": (
        "Security Logging and Monitoring Failures",
        [
            (
                "tests/integration/test_tokeninfo.py::test_a_token_in_the_url_never_reaches_the_access_log",
                "CWE-532: tokens never reach the access log",
            ),
            (
                "tests/integration/test_audit_and_keys.py::test_audit_chain_detects_tampering",
                "The audit log is hash-chained: an edited or deleted event is detected",
            ),
        ],
    ),
    "A10": (
        "Server-Side Request Forgery",
        [
            (
                f"{FETCHER}::test_private_and_loopback_targets_are_refused_before_connecting",
                "CWE-918: a developer's URL never reaches private or loopback addresses",
            ),
            (
                f"{FETCHER}::test_a_redirect_to_a_private_address_is_refused_at_that_hop",
                "CWE-918: nor through a redirect",
            ),
            (
                f"{FETCHER}::test_the_connection_goes_to_the_address_that_was_checked",
                "CWE-918: nor through DNS rebinding",
            ),
        ],
    ),
}

#: Files whose tests carry the ``# SEC-7`` comments (the attack suite, and the HTTPS tests).
COMMENTED = sorted({*(str(p.relative_to(ROOT)) for p in (ROOT / SEC).glob("test_*.py")), HTTPS})
COMMENT_RE = re.compile(r"#\s*SEC-7\b.*?\b(A\d\d):2021")


def _mapped() -> set[tuple[str, str]]:
    """(node id, category) of every claim in the map."""
    return {(node, cat) for cat, (_name, tests) in OWASP.items() for node, _why in tests}


def _collected(files: list[str]) -> set[str]:
    """The node ids pytest collects from these files, parameters stripped."""
    proc = subprocess.run(
        [sys.executable, "-m", "pytest", "--collect-only", "-q", "-p", "no:cacheprovider", *files],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    return {line.split("[", 1)[0] for line in proc.stdout.splitlines() if "::" in line}


def _comments(path: str) -> set[tuple[str, str]]:
    """(node id, category) of each ``# SEC-7 ... Axx:2021`` comment just above a test in ``path``."""
    source = (ROOT / path).read_text()
    lines = source.splitlines()
    found = set()
    for node in ast.parse(source).body:
        if not isinstance(node, ast.FunctionDef) or not node.name.startswith("test_"):
            continue
        first = min([node.lineno, *(d.lineno for d in node.decorator_list)]) - 1  # 0-based
        above = first - 1
        while above >= 0 and lines[above].strip().startswith("#"):
            for cat in COMMENT_RE.findall(lines[above]):
                found.add((f"{path}::{node.name}", cat))
            above -= 1
    return found


def test_every_claimed_category_names_tests_that_pytest_still_collects() -> None:  # SEC-7
    assert {"A01", "A02", "A03", "A05", "A07"} <= set(OWASP)
    for cat, (_name, tests) in OWASP.items():
        assert tests, f"{cat} is claimed with no test"
    files = sorted({node.split("::", 1)[0] for node, _cat in _mapped()})
    collected = _collected(files)
    gone = sorted(node for node, _cat in _mapped() if node not in collected)
    assert not gone, "the OWASP map names tests pytest no longer collects:\n" + "\n".join(gone)


def test_the_sec_7_comments_agree_with_the_map() -> None:  # SEC-7
    commented = set().union(*(_comments(path) for path in COMMENTED))
    mapped = {(node, cat) for node, cat in _mapped() if node.split("::", 1)[0] in COMMENTED}
    assert commented - mapped == set(), f"commented but not in the map: {sorted(commented - mapped)}"
    assert mapped - commented == set(), f"in the map but not commented: {sorted(mapped - commented)}"
