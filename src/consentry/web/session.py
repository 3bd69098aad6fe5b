"""Browser sessions: an opaque cookie, rows in the database, CSRF tokens bound to the cookie.

Nothing lives in one process's memory, so any server process can continue any flow.
"""

from __future__ import annotations

import hmac
from dataclasses import dataclass, field

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session
from starlette.requests import Request, cookie_parser
from starlette.responses import Response

from consentry.domain.secrets import Hasher, derive_key, new_secret
from consentry.settings import Settings
from consentry.storage.tables import BrowserSession, Interaction, SessionAccount, User
from consentry.storage.tables.base import now
from consentry.web.client_address import client_address

COOKIE = "consentry_sid"


@dataclass(frozen=True)
class Device:
    """What a browser says of itself when it signs in, for the account's list of sessions."""

    user_agent: str = ""
    #: The client's address (web/client_address.py).
    address: str = ""

    @classmethod
    def of(cls, request: Request) -> Device:
        agent = request.headers.get("user-agent", "")
        return cls("".join(c for c in agent if c.isprintable())[:300], client_address(request.scope)[:64])


@dataclass
class BrowserState:
    """The caller's session id (raw, from the cookie) and whether we must (re)set the cookie."""

    sid: str
    fresh: bool = False
    accounts: list[User] = field(default_factory=list)


class Sessions:
    def __init__(self, settings: Settings, hasher: Hasher) -> None:
        self.settings = settings
        self.hasher = hasher
        self._csrf_key = derive_key(settings.secret_key, "csrf")

    # --- cookie -------------------------------------------------------------------------
    def state(self, request: Request) -> BrowserState:
        return self._state(request.cookies.get(COOKIE, ""))

    def state_from_headers(self, headers: list[tuple[bytes, bytes]]) -> BrowserState:
        """The same, from raw ASGI headers (the protocol adapter has no Starlette request)."""
        for name, value in headers:
            if name == b"cookie":
                sid = cookie_parser(value.decode("latin-1")).get(COOKIE, "")
                if sid:
                    return self._state(sid)
        return self._state("")

    @staticmethod
    def _state(sid: str) -> BrowserState:
        if 20 <= len(sid) <= 100:
            return BrowserState(sid)
        return BrowserState(new_secret(), fresh=True)

    def set_cookie(self, response: Response, state: BrowserState) -> None:
        response.set_cookie(
            COOKIE,
            state.sid,
            max_age=self.settings.session_ttl,
            httponly=True,
            samesite="lax",
            secure=self.settings.secure_cookies,
            path="/",
        )

    def sid_hash(self, state: BrowserState) -> str:
        return self.hasher.hash("sid:" + state.sid)

    # --- CSRF -----------------------------------------------------------------------------
    def csrf_token(self, state: BrowserState) -> str:
        return hmac.new(self._csrf_key, state.sid.encode(), "sha256").hexdigest()

    def check_csrf(self, state: BrowserState, token: str | None) -> bool:
        return bool(token) and not state.fresh and hmac.compare_digest(self.csrf_token(state), token or "")

    # --- accounts -------------------------------------------------------------------------
    def accounts(self, session: Session, state: BrowserState) -> list[User]:
        if state.fresh:
            return []
        h = self.sid_hash(state)
        row = session.get(BrowserSession, h)
        if row is None or row.expires_at <= now():
            return []
        return list(
            session.scalars(
                select(User)
                .join(SessionAccount, SessionAccount.user_id == User.id)
                .where(SessionAccount.session_hash == h, User.disabled.is_(False))
                .order_by(SessionAccount.authenticated_at.desc())
            )
        )

    def auth_time(self, session: Session, state: BrowserState, user_id: int) -> int | None:
        return session.scalar(
            select(SessionAccount.authenticated_at).where(
                SessionAccount.session_hash == self.sid_hash(state), SessionAccount.user_id == user_id
            )
        )

    def sign_in(
        self,
        session: Session,
        state: BrowserState,
        user: User,
        *,
        amr: str = "pwd",
        device: Device | None = None,
    ) -> BrowserState:
        """Add an account; the session id is replaced so a planted cookie gains nothing (fixation).

        ``amr`` is how the account signed in (domain/accounts/amr.py); ``device`` what the account
        page will show of this browser (ACCT-5).
        """
        old_hash = self.sid_hash(state)
        new = BrowserState(new_secret(), fresh=True)
        new_hash = self.sid_hash(new)
        device = device or Device()
        t = now()
        session.add(
            BrowserSession(
                id_hash=new_hash,
                expires_at=t + self.settings.session_ttl,
                user_agent=device.user_agent,
                address=device.address,
                last_seen_at=t,
            )
        )
        session.flush()
        kept = []
        if not state.fresh:
            kept = list(
                session.scalars(select(SessionAccount).where(SessionAccount.session_hash == old_hash))
            )
        for acct in kept:
            if acct.user_id != user.id:
                session.add(
                    SessionAccount(
                        session_hash=new_hash,
                        user_id=acct.user_id,
                        authenticated_at=acct.authenticated_at,
                        amr=acct.amr,
                    )
                )
        session.add(SessionAccount(session_hash=new_hash, user_id=user.id, authenticated_at=t, amr=amr))
        if not state.fresh:
            session.execute(
                update(Interaction).where(Interaction.session_hash == old_hash).values(session_hash=new_hash)
            )
            session.execute(delete(BrowserSession).where(BrowserSession.id_hash == old_hash))
        return new

    def sign_out(self, session: Session, state: BrowserState) -> None:
        session.execute(delete(BrowserSession).where(BrowserSession.id_hash == self.sid_hash(state)))
