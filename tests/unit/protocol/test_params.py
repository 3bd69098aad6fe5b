"""The one parameter check every protocol endpoint runs first (issue 9.7)."""

from __future__ import annotations

import time

import pytest

from consentry.protocol.oauth2.params import param_error, repeated_param
from consentry.protocol.starlette import MultiDict


def _error(pairs: list[tuple[str, str]]) -> str | None:
    return param_error(MultiDict(pairs))


def test_a_repeated_parameter_is_named_and_its_value_never_echoed():
    # ISSUE-9.7 RFC 6749 §3.1: the first repeated name, whatever it is, known to us or not.
    pairs = [("client_id", "a"), ("client_secret", "s3cret-value"), ("client_secret", "wrong")]
    assert _error(pairs) == "Parameter 'client_secret' is repeated."
    assert _error([("x_unknown", "1"), ("x_unknown", "1")]) == "Parameter 'x_unknown' is repeated."
    assert repeated_param([("a", "1"), ("b", "1"), ("b", "2"), ("a", "3")]) == "b"


def test_resource_may_repeat():
    # ISSUE-9.7 RFC 8707 §2: one `resource` per target service.
    assert _error([("resource", "https://a.example/"), ("resource", "https://b.example/")]) is None


@pytest.mark.parametrize("name", ['sc"ope', "scöpe", "scope\n", "", "x" * 65])
def test_a_name_unfit_for_an_error_description_is_not_quoted(name: str):
    # ISSUE-9.7 RFC 6749 §5.2: error_description is limited to printable ASCII without " and \.
    assert _error([(name, "1"), (name, "2")]) == "A parameter is repeated."


def test_malformed_keywords_are_still_refused_and_a_trailing_newline_is_malformed():
    # RFC 6749 Appendix A: a keyword is printable ASCII; `$` alone would let "code\n" through.
    assert _error([("grant_type", "client_credentials")]) is None
    assert _error([("grant_type", "client_credentials\n")]) == "Malformed 'grant_type'."
    assert _error([("redirect_uri", "https://a.example/cb\n")]) == "Malformed 'redirect_uri'."


def test_the_check_is_linear_in_the_number_of_parameters():
    # ISSUE-9.7: a body of many distinct names (the body limit allows thousands) stays cheap.
    pairs = [(f"p{i}", "") for i in range(20_000)]
    started = time.perf_counter()
    assert _error(pairs) is None
    assert time.perf_counter() - started < 0.5
