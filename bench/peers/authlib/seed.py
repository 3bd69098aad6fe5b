"""Create the Authlib peer's tables, one user, a web client and a service client; print them as JSON.

Secrets come from the environment (BENCH_AUTHLIB_WEB_SECRET, BENCH_AUTHLIB_SERVICE_SECRET) so the
harness knows them; the example server stores client secrets in clear, and so does this peer.
"""

from __future__ import annotations

import json
import os
import sys
import time
from collections.abc import Mapping

from app import app
from models import OAuth2Client, User, db

REDIRECT_URI = "http://127.0.0.1:8765/callback"


def _client(
    client_id: str, secret: str, metadata: Mapping[str, object], can_introspect: bool
) -> OAuth2Client:
    client = OAuth2Client(
        client_id=client_id, client_secret=secret, client_id_issued_at=int(time.time()), user_id=1
    )
    client.can_introspect = can_introspect
    client.set_client_metadata({"token_endpoint_auth_method": "client_secret_basic", **metadata})
    return client


def main() -> int:
    web_secret = os.environ["BENCH_AUTHLIB_WEB_SECRET"]
    service_secret = os.environ["BENCH_AUTHLIB_SERVICE_SECRET"]
    with app.app_context():
        db.create_all()
        db.session.add(User(id=1, username="alice"))
        web = {
            "redirect_uris": [REDIRECT_URI],
            "grant_types": ["authorization_code", "refresh_token"],
            "response_types": ["code"],
            "scope": "openid email",
        }
        service = {"grant_types": ["client_credentials"], "response_types": [], "scope": ""}
        db.session.add(_client("bench-web", web_secret, web, can_introspect=False))
        db.session.add(_client("bench-service", service_secret, service, can_introspect=True))
        db.session.commit()
    out = {
        "user": "alice",
        "web": {"client_id": "bench-web", "client_secret": web_secret, "redirect_uri": REDIRECT_URI},
        "service": {"client_id": "bench-service", "client_secret": service_secret},
    }
    json.dump(out, sys.stdout)
    sys.stdout.write("\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
