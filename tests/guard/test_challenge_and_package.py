"""Header hygiene, the scope rule, and the promise that the guard imports nothing of Consentry's."""

from __future__ import annotations

import ast
import sys
from pathlib import Path

import pytest

import consentry.guard
from consentry.guard import Caller, InsufficientScope, InvalidToken, MissingToken
from consentry.guard.bearer import bearer_token
from consentry.guard.challenge import bearer_challenge
from consentry.guard.scopes import require_scopes

GUARD_DIR = Path(consentry.guard.__file__).parent
ALLOWED_ROOTS = {"httpx", "joserfc", "starlette", "fastapi", "__future__"}


def test_challenge_values_cannot_break_out_of_their_quotes() -> None:
    header = bearer_challenge('r"e\\alm', "invalid_token", 'bad "kid"\r\nSet-Cookie: x=1\u00e9', ())
    assert header == (
        'Bearer realm="r?e?alm", error="invalid_token", error_description="bad ?kid???Set-Cookie: x=1?"'
    )
    assert "\r" not in header and "\n" not in header and header.count('"') == 6


def test_error_descriptions_are_capped() -> None:
    header = InvalidToken("x" * 1000, realm="api").headers["WWW-Authenticate"]  # type: ignore[index]
    assert len(header) < 300


def test_missing_token_challenge_has_no_error_code() -> None:
    assert MissingToken("none", realm="api").headers == {"WWW-Authenticate": 'Bearer realm="api"'}


@pytest.mark.parametrize(
    ("scopes", "any_of", "all_of", "ok"),
    [
        ({"a"}, ["a", "b"], [], True),
        ({"b"}, ["a", "b"], [], True),
        ({"c"}, ["a", "b"], [], False),
        ({"a", "c"}, ["a", "b"], ["c"], True),
        ({"a"}, ["a", "b"], ["c"], False),
        ({"c", "d"}, [], ["c", "d"], True),
        ({"c"}, [], ["c", "d"], False),
        (set(), [], [], True),
        ({"https://i/auth/mail.readonly"}, ["https://i/auth/mail"], [], False),  # no prefix matching
    ],
)
def test_scope_rule(scopes: set[str], any_of: list[str], all_of: list[str], ok: bool) -> None:
    who = Caller("s", "c", frozenset(scopes), None, "jwt", {})
    if ok:
        require_scopes(who, any_of, all_of)
    else:
        with pytest.raises(InsufficientScope) as err:
            require_scopes(who, any_of, all_of)
        assert err.value.required_scope == tuple(dict.fromkeys(all_of + any_of))


def test_bearer_parsing() -> None:
    assert bearer_token(["Bearer abc.DEF-_~+/=="]) == "abc.DEF-_~+/=="
    assert bearer_token(["bEaReR tok"]) == "tok"
    with pytest.raises(MissingToken):
        bearer_token([])
    with pytest.raises(MissingToken):
        bearer_token(["Digest abc"])
    with pytest.raises(InvalidToken):
        bearer_token(["Bearer tok=en"])  # '=' only as padding


def test_guard_imports_only_its_allowed_dependencies() -> None:
    """Adopters install the guard into their own API: no SQLAlchemy, no Consentry internals."""
    offenders = []
    for path in sorted(GUARD_DIR.glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text())):
            names = []
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names = [node.module]
            for name in names:
                root = name.split(".")[0]
                inside = name == "consentry.guard" or name.startswith("consentry.guard.")
                if not (inside or root in ALLOWED_ROOTS or root in sys.stdlib_module_names):
                    offenders.append(f"{path.name}: {name}")
    assert offenders == []
    assert len(list(GUARD_DIR.glob("*.py"))) > 5  # the scan really looked at the package


def test_importing_the_guard_loads_no_server_code() -> None:
    import subprocess

    code = (
        "import sys, consentry.guard; "
        "bad = sorted(m for m in sys.modules if m.split('.')[0] in ('sqlalchemy', 'authlib', 'pydantic_settings')"
        " or (m.startswith('consentry.') and not m.startswith('consentry.guard'))); print(bad)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
