"""What a new password must be (ACCT-2, NIST SP 800-63B §3.1.1.2).

At least 12 characters and no composition rules (a long passphrase beats "P@ssw0rd1"); refused
when it is common or guessable, as a well-kept estimator (zxcvbn, Dropbox's model of how people
crack passwords) judges it, and when it is built from the account's own e-mail or name. The
refusal says why, so the person can pick a better one. One rule for every place a password is set:
the CLI, a reset link, an invitation, sign-up.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from zxcvbn import zxcvbn

from consentry.errors import DomainError

MIN_LENGTH = 12
#: Sign-in treats longer passwords as wrong (signin.MAX_PASSWORD): never set one nobody could type in.
MAX_LENGTH = 1024
#: zxcvbn's scores run 0 (too guessable) to 4; 3 is "safely unguessable" (about 10^8 guesses and up).
MIN_SCORE = 3
#: zxcvbn's cost grows with the length; past this the rest of a long passphrase only adds strength.
_ESTIMATED = 72  # zxcvbn refuses longer input
_WORDS = re.compile(r"[^\W_]{3,}")


def check_new_password(password: str, *, context: Iterable[str] = ()) -> None:
    """Raise ``weak_password`` (or ``invalid_password`` for an impossible length) with the reason.

    ``context`` are words the password must not lean on: the e-mail address, the name, the service.
    """
    if not password:
        raise DomainError("weak_password", "the password is empty")
    if len(password) < MIN_LENGTH:
        raise DomainError(
            "weak_password",
            f"passwords need at least {MIN_LENGTH} characters; a few unrelated words make a good one",
        )
    if len(password) > MAX_LENGTH:
        raise DomainError("invalid_password", f"passwords have at most {MAX_LENGTH} characters")
    words = _context_words(context)
    if password.strip().lower() in words:
        raise DomainError("weak_password", "the password is your e-mail address or name")
    result = zxcvbn(password[:_ESTIMATED], user_inputs=sorted(words))
    if result["score"] < MIN_SCORE:
        raise DomainError("weak_password", _reason(result["feedback"]))


def _context_words(context: Iterable[str]) -> set[str]:
    words: set[str] = set()
    for item in context:
        item = item.strip().lower()
        if not item:
            continue
        words.add(item)
        words.update(_WORDS.findall(item))
    return words


def _reason(feedback: dict[str, object]) -> str:
    warning = str(feedback.get("warning") or "").rstrip(".")
    suggestions = feedback.get("suggestions") or []
    tip = str(suggestions[0]).rstrip(".") if isinstance(suggestions, list) and suggestions else ""
    said = warning or "this password would be easy to guess"
    return f"{said[0].lower()}{said[1:]}; {tip[0].lower()}{tip[1:]}" if tip else said
