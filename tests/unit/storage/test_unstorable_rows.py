"""``unstorable.check_row``: what a raw-cursor batch refuses per request (ISSUE-9: no 500s)."""

from __future__ import annotations

import pytest
from sqlalchemy import String

from consentry.storage.tables import Token
from consentry.storage.unstorable import UnstorableValue, check_row

TOKENS = Token.__table__
GRANT_TYPE = TOKENS.c.grant_type.type
assert isinstance(GRANT_TYPE, String) and GRANT_TYPE.length is not None  # String(80)
LIMIT = GRANT_TYPE.length


def test_a_plain_row_passes():
    check_row(
        TOKENS, {"scope": "openid email", "client_pk": 1, "revoked_at": None, "grant_type": "g" * LIMIT}
    )


@pytest.mark.parametrize(
    ("row", "said"),
    [
        ({"scope": "a\x00b"}, "text with a NUL character"),
        ({"scope": "\ud800"}, "text that is not valid Unicode"),
        ({"client_pk": 2**63}, "a number out of range"),
        ({"grant_type": "g" * (LIMIT + 1)}, f"a grant type longer than {LIMIT} characters"),
    ],
)
def test_each_unstorable_value_is_refused_with_its_reason(row, said):
    with pytest.raises(UnstorableValue) as refused:
        check_row(TOKENS, row)
    assert said in refused.value.message


def test_non_ascii_text_within_its_column_passes():
    check_row(TOKENS, {"scope": "é"})


def test_a_key_naming_no_column_is_refused():
    with pytest.raises(KeyError):
        check_row(TOKENS, {"no_such_column": "x"})
