"""The Authlib reference peer for bench/run: a small Flask + Authlib server, SQLite by default.

Serve with ``gunicorn --chdir bench/peers/authlib --workers 1 app:app`` (one sync worker).
Environment: BENCH_AUTHLIB_DB (SQLAlchemy URL, default SQLite next to this file),
BENCH_AUTHLIB_ISSUER (http://127.0.0.1:PORT), BENCH_AUTHLIB_SECRET (Flask session key).
Create the tables and the user and clients first with ``python seed.py`` (prints them as JSON).
"""

from __future__ import annotations

import os

from flask import Flask
from joserfc.jwk import KeySet, RSAKey
from models import db
from oauth2 import config_oauth
from routes import bp


def create_app() -> Flask:
    app = Flask(__name__)
    app.config.update(
        SECRET_KEY=os.environ.get("BENCH_AUTHLIB_SECRET", "dev-only-secret"),
        SQLALCHEMY_DATABASE_URI=os.environ.get("BENCH_AUTHLIB_DB", "sqlite:///authlib-peer.db"),
        PEER_ISSUER=os.environ.get("BENCH_AUTHLIB_ISSUER", "http://127.0.0.1:5000"),
        # As in the example server's settings: issue refresh tokens (Authlib's default is not to).
        OAUTH2_REFRESH_TOKEN_GENERATOR=True,
    )
    key = RSAKey.generate_key(2048, parameters={"kid": "peer-rs256", "use": "sig", "alg": "RS256"})
    app.config["PEER_JWKS"] = KeySet([key]).as_dict(private=False)
    db.init_app(app)
    config_oauth(app, key, app.config["PEER_ISSUER"])
    app.register_blueprint(bp)
    return app


app = create_app()
