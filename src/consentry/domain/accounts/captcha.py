"""CAPTCHA challenges: what a browser or a ClientLogin client solves to be let try again.

Asked for instead of a lock when an account or an address is under attack, so the right password
always works for a person. Challenges are single-use (deleted when answered, right or wrong) and
live ``captcha_ttl`` seconds; only a keyed hash of the answer is stored.
"""

from __future__ import annotations

import base64
from collections.abc import Callable
from dataclasses import dataclass

from captcha.image import ImageCaptcha
from sqlalchemy import delete
from sqlalchemy.orm import Session

from consentry.domain.secrets import Hasher, new_secret
from consentry.storage.tables import CaptchaChallenge
from consentry.storage.tables.base import now

#: No 0/O, 1/I/L, 2/Z, 5/S, 8/B: nothing a person can misread.
ALPHABET = "ACDEFGHJKMNPQRTUVWXY34679"
LENGTH = 6
MAX_ANSWER = 32


@dataclass(frozen=True)
class Challenge:
    id: str
    #: A ``data:`` URI of the PNG, so the page needs no second request (CSP allows ``img-src data:``).
    image: str


class Captchas:
    def __init__(self, hasher: Hasher, ttl: int, text: Callable[[], str] | None = None) -> None:
        self.hasher = hasher
        self.ttl = ttl
        #: Replaceable in tests, which must know the answer; None: derived from the challenge id.
        self.text = text
        self._image = ImageCaptcha(width=240, height=80)

    def _text_of(self, challenge_id: str) -> str:
        """The characters of a challenge: a keyed function of its id (only we can compute them;
        a test holding the key can too)."""
        if self.text is not None:
            return self.text()
        digest = int(self.hasher.hash("captcha-text:" + challenge_id), 16)
        chars = []
        for _ in range(LENGTH):
            digest, i = divmod(digest, len(ALPHABET))
            chars.append(ALPHABET[i])
        return "".join(chars)

    def _store(self, session: Session, *, with_picture: bool = False) -> tuple[str, str]:
        challenge_id = new_secret(18)
        text = self._text_of(challenge_id)
        session.add(
            CaptchaChallenge(
                id_hash=self.hasher.hash("captcha:" + challenge_id),
                answer_hash=self.hasher.hash("captcha-answer:" + _normalize(text)),
                expires_at=now() + self.ttl,
                picture=self._image.generate(text).getvalue() if with_picture else None,
            )
        )
        return challenge_id, text

    def issue(self, session: Session) -> Challenge:
        challenge_id, text = self._store(session)
        png = self._image.generate(text).getvalue()
        return Challenge(challenge_id, "data:image/png;base64," + base64.b64encode(png).decode())

    def issue_id(self, session: Session) -> str:
        """A challenge whose picture is fetched later by id (:meth:`picture`)."""
        return self._store(session, with_picture=True)[0]

    def picture(self, session: Session, challenge_id: str) -> bytes | None:
        """The PNG drawn when a challenge was issued by id, while it lives (else None)."""
        if not challenge_id or len(challenge_id) > 64:
            return None
        row = session.get(CaptchaChallenge, self.hasher.hash("captcha:" + challenge_id))
        if row is None or row.expires_at <= now():
            return None
        return row.picture

    def solve(self, session: Session, challenge_id: str, answer: str) -> bool:
        """True once for the right answer; the challenge is gone afterwards, whatever was answered."""
        if not challenge_id or len(challenge_id) > 64 or len(answer) > MAX_ANSWER:
            return False
        stmt = (
            delete(CaptchaChallenge)
            .where(CaptchaChallenge.id_hash == self.hasher.hash("captcha:" + challenge_id))
            .returning(CaptchaChallenge.answer_hash, CaptchaChallenge.expires_at)
        )
        row = session.execute(stmt).first()
        if row is None or row.expires_at <= now():
            return False
        return self.hasher.matches("captcha-answer:" + _normalize(answer), row.answer_hash)


def _normalize(answer: str) -> str:
    return "".join(answer.split()).upper()
