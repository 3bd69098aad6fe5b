"""The app-name rule of the consent screen (VERIFY-2, VERIFY-3).

App names may not imitate the platform or a well-known brand, nor claim an endorsement
("official", "verified"): users read the name on the consent screen to decide whom they trust.
Names are compared by a *skeleton*, in the spirit of Unicode TR39's confusable skeletons:
compatibility forms and case folded (NFKC, casefold), accents dropped, look-alike letters from
other scripts and leetspeak folded onto one Latin letter, ``rn`` read as ``m``. The reserved words
go through the same skeleton, so an ambiguous fold (``1`` as ``l`` or ``i``) cancels out.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable

from consentry.domain.accounts.emails import shown
from consentry.errors import DomainError

MAX_APP_NAME = 120

#: Reserved word -> why it may not appear in an app name.
RESERVED: dict[str, str] = {
    "consentry": "the name of this platform",
    "google": "a well-known brand",
    "gmail": "a well-known brand",
    "youtube": "a well-known brand",
    "android": "a well-known brand",
    "official": "a claim of endorsement the review does not give",
    "verified": "a claim of endorsement the review does not give",
}
#: Shorter reserved names (an issuer called "AB") would refuse half the dictionary.
MIN_EXTRA_RESERVED = 3

#: Letters of other scripts that look like a Latin letter (a few of Unicode's confusables.txt),
#: spelled by name so the source shows which is which.
_LOOKALIKES = {
    "a": "\N{CYRILLIC SMALL LETTER A}\N{GREEK SMALL LETTER ALPHA}\N{LATIN SMALL LETTER ALPHA}",
    "b": "\N{CYRILLIC SMALL LETTER VE}\N{GREEK SMALL LETTER BETA}",
    "c": "\N{CYRILLIC SMALL LETTER ES}\N{GREEK LUNATE SIGMA SYMBOL}",
    "d": "\N{CYRILLIC SMALL LETTER KOMI DE}",
    "e": "\N{CYRILLIC SMALL LETTER IE}\N{CYRILLIC SMALL LETTER UKRAINIAN IE}\N{GREEK SMALL LETTER EPSILON}"
    "\N{CYRILLIC SMALL LETTER ABKHASIAN CHE}\N{EURO SIGN}",
    "g": "\N{LATIN SMALL LETTER SCRIPT G}\N{ARMENIAN SMALL LETTER CO}",
    "h": "\N{CYRILLIC SMALL LETTER EN}\N{CYRILLIC SMALL LETTER SHHA}",
    "i": "\N{LATIN SMALL LETTER DOTLESS I}\N{LATIN SMALL LETTER IOTA}\N{CYRILLIC SMALL LETTER PALOCHKA}"
    "\N{CYRILLIC SMALL LETTER BYELORUSSIAN-UKRAINIAN I}\N{CYRILLIC SMALL LETTER YI}"
    "\N{GREEK SMALL LETTER IOTA}\N{LATIN LETTER DENTAL CLICK}",
    "j": "\N{CYRILLIC SMALL LETTER JE}",
    "k": "\N{CYRILLIC SMALL LETTER KA}\N{GREEK SMALL LETTER KAPPA}",
    "m": "\N{CYRILLIC SMALL LETTER EM}",
    "n": "\N{GREEK SMALL LETTER ETA}",
    "o": "\N{CYRILLIC SMALL LETTER O}\N{GREEK SMALL LETTER OMICRON}\N{ARMENIAN SMALL LETTER OH}"
    "\N{GREEK SMALL LETTER SIGMA}",
    "p": "\N{CYRILLIC SMALL LETTER ER}\N{GREEK SMALL LETTER RHO}",
    "q": "\N{CYRILLIC SMALL LETTER QA}",
    "s": "\N{CYRILLIC SMALL LETTER DZE}",
    "t": "\N{CYRILLIC SMALL LETTER TE}\N{GREEK SMALL LETTER TAU}",
    "u": "\N{GREEK SMALL LETTER UPSILON}\N{ARMENIAN SMALL LETTER SEH}",
    "v": "\N{GREEK SMALL LETTER NU}\N{CYRILLIC SMALL LETTER IZHITSA}",
    "w": "\N{GREEK SMALL LETTER OMEGA}\N{CYRILLIC SMALL LETTER WE}",
    "x": "\N{CYRILLIC SMALL LETTER HA}\N{GREEK SMALL LETTER CHI}",
    "y": "\N{CYRILLIC SMALL LETTER U}\N{GREEK SMALL LETTER GAMMA}",
}
#: Leetspeak. ``l``, ``1``, ``|``, ``!`` and ``i`` are one letter: which a "1" stands for is a guess.
_LEET = {
    **dict.fromkeys("1l|!", "i"),
    **{"0": "o", "3": "e", "4": "a", "@": "a", "5": "s", "$": "s", "7": "t", "8": "b", "9": "g"},
}
_FOLD = str.maketrans(_LEET | {c: latin for latin, chars in _LOOKALIKES.items() for c in chars})
#: Letter pairs that read as one letter at a glance.
_PAIRS = (("rn", "m"), ("vv", "w"))

# --- app name ------------------------------------------------------------------------------------


def _tokens(text: str) -> list[str]:
    """The skeleton of ``text`` as its words: folded letters and digits, split at anything else."""
    folded = unicodedata.normalize("NFKD", unicodedata.normalize("NFKC", text).casefold())
    plain = "".join(c for c in folded if not unicodedata.combining(c)).translate(_FOLD)
    out = []
    for word in re.split(r"[\W_]+", plain):
        for pair, letter in _PAIRS:
            word = word.replace(pair, letter)
        if word:
            out.append(word)
    return out


def _imitates(words: list[str], reserved: str) -> bool:
    """Whether ``reserved`` shows in the name as it reads.

    A match inside one word counts ("MyGoogleApp"), and so does one spelled across words from a
    word's start ("G Mail", "Goo-gle"); one starting mid-word and running on ("Big Mail") does not,
    since the separator keeps it from reading as the brand.
    """
    text = "".join(words)
    bounds: set[int] = set()
    at = 0
    for word in words[:-1]:
        at += len(word)
        bounds.add(at)
    i = text.find(reserved)
    while i >= 0:
        end = i + len(reserved)
        if i == 0 or i in bounds or not any(i < b < end for b in bounds):
            return True
        i = text.find(reserved, i + 1)
    return False


_RESERVED_SKELETONS = {word: "".join(_tokens(word)) for word in RESERVED}


def app_name(value: str, *, extra_reserved: Iterable[str] = ()) -> str:
    """The app name as shown on the consent screen (VERIFY-2), following the branding rules (VERIFY-3).

    ``extra_reserved`` adds names of this deployment (the issuer's display name, say) to the
    reserved words. Returns the name without surrounding whitespace.
    """
    if not isinstance(value, str) or not value.strip():
        raise DomainError("invalid_app_name", "Enter the app name users will see on the consent screen.")
    name = value.strip()
    if len(name) > MAX_APP_NAME:
        raise DomainError(
            "invalid_app_name", f"The app name has {len(name)} characters; use at most {MAX_APP_NAME}."
        )
    if not name.isprintable():
        raise DomainError(
            "invalid_app_name",
            "The app name contains control, formatting or invisible characters, or unusual spaces; "
            "use ordinary letters, digits, punctuation and spaces.",
        )
    if not any(c.isalnum() for c in name):
        raise DomainError("invalid_app_name", "The app name needs at least one letter or digit.")
    words = _tokens(name)
    reserved = dict(_RESERVED_SKELETONS)
    for extra in extra_reserved:
        skeleton = "".join(_tokens(extra)) if isinstance(extra, str) else ""
        if len(skeleton) >= MIN_EXTRA_RESERVED:
            reserved[extra.strip()] = skeleton
    for word, skeleton in reserved.items():
        if _imitates(words, skeleton):
            why = RESERVED.get(word, "the name of this service")
            raise DomainError(
                "reserved_name",
                f"The app name {shown(name)!r} uses or imitates {word!r}, which is {why}. "
                "Choose a name that identifies your own app, without other brands or claims "
                "of being official or verified.",
            )
    return name
