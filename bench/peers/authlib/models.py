"""Tables of the Authlib reference server, after Authlib's example-oauth2-server.

Authlib's SQLAlchemy mixins give the client, code and token columns; we add a User, the consent a
user gave a client (so a signed-in user who already agreed is redirected straight back, as on the
other servers) and a ``can_introspect`` flag for the resource-server client.
"""

from __future__ import annotations

import time

from authlib.integrations.sqla_oauth2 import (
    OAuth2AuthorizationCodeMixin,
    OAuth2ClientMixin,
    OAuth2TokenMixin,
)
from flask_sqlalchemy import SQLAlchemy

db = SQLAlchemy()


class User(db.Model):  # type: ignore[name-defined,misc,unused-ignore]
    id = db.Column(db.Integer, primary_key=True)
    username = db.Column(db.String(40), unique=True, nullable=False)

    def get_user_id(self) -> int:
        return int(self.id)


class OAuth2Client(db.Model, OAuth2ClientMixin):  # type: ignore[name-defined,misc,unused-ignore]
    __tablename__ = "oauth2_client"

    id = db.Column(db.Integer, primary_key=True)
    user_id = db.Column(db.Integer, db.ForeignKey("user.id", ondelete="CASCADE"))
    can_introspect = db.Column(db.Boolean, nullable=False, default=False)


class OAuth2AuthorizationCode(db.Model, OAuth2AuthorizationCodeMixin):  # type: ignore[name-defined,misc,unused-ignore]
    __tablename__ = "oauth2_code"

    id = db.Column(db.Integer, primary_key=True)
    user_id = db.Column(db.Integer, db.ForeignKey("user.id", ondelete="CASCADE"))


class OAuth2Token(db.Model, OAuth2TokenMixin):  # type: ignore[name-defined,misc,unused-ignore]
    __tablename__ = "oauth2_token"

    id = db.Column(db.Integer, primary_key=True)
    user_id = db.Column(db.Integer, db.ForeignKey("user.id", ondelete="CASCADE"))
    user = db.relationship("User")

    def is_refresh_token_active(self) -> bool:
        """As in the example server: a refresh token lives twice as long as its access token."""
        if self.refresh_token_revoked_at:
            return False
        return bool(self.issued_at + self.expires_in * 2 >= time.time())


class Consent(db.Model):  # type: ignore[name-defined,misc,unused-ignore]
    """Scopes a user granted a client; a later request within them skips the consent page."""

    id = db.Column(db.Integer, primary_key=True)
    user_id = db.Column(db.Integer, db.ForeignKey("user.id", ondelete="CASCADE"), nullable=False)
    client_id = db.Column(db.String(48), nullable=False)
    scope = db.Column(db.Text, nullable=False, default="")
