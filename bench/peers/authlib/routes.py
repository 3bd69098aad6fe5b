"""Pages and endpoints of the Authlib reference server.

As in Authlib's example-oauth2-server, signing in is a form with a username (no password) kept in
Flask's signed session cookie. The authorize endpoint shows a consent form once; the consent is
stored, so a later request within the consented scopes redirects straight back with a code.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from authlib.oauth2 import OAuth2Error
from flask import Blueprint, Response, current_app, jsonify, redirect, request, session
from markupsafe import escape
from models import Consent, User, db
from oauth2 import server

bp = Blueprint("peer", __name__)

SIGNIN_PAGE = """<form action="/signin" method="post">
<input type="hidden" name="next" value="{next}"><input name="username"><button>Sign in</button></form>"""
CONSENT_PAGE = """<form action="/oauth/authorize?{query}" method="post">
<p>Allow {client} to use {scope}?</p><input type="hidden" name="confirm" value="yes">
<button>Allow</button></form>"""


def current_user() -> User | None:
    uid = session.get("uid")
    return db.session.get(User, uid) if uid else None


def consented(user: User, client_id: str, scope: str) -> bool:
    row = Consent.query.filter_by(user_id=user.id, client_id=client_id).first()
    return row is not None and set(scope.split()) <= set(row.scope.split())


def remember_consent(user: User, client_id: str, scope: str) -> None:
    row = Consent.query.filter_by(user_id=user.id, client_id=client_id).first()
    if row is None:
        row = Consent(user_id=user.id, client_id=client_id, scope="")
        db.session.add(row)
    row.scope = " ".join(sorted(set(row.scope.split()) | set(scope.split())))
    db.session.commit()


@bp.route("/signin", methods=["GET", "POST"])
def signin() -> Any:
    if request.method == "GET":
        return SIGNIN_PAGE.format(next=escape(request.args.get("next", "/")))
    user = User.query.filter_by(username=request.form["username"]).first()
    if user is None:
        return "unknown user", 400
    session["uid"] = user.id
    return redirect(request.form.get("next") or "/")


@bp.route("/oauth/authorize", methods=["GET", "POST"])
def authorize() -> Any:
    user = current_user()
    if user is None:
        return redirect("/signin?" + urlencode({"next": request.full_path}))
    try:
        grant = server.get_consent_grant(end_user=user)
    except OAuth2Error as error:
        return jsonify(dict(error.get_body())), error.status_code
    scope = grant.request.payload.scope or ""
    client_id = grant.client.client_id
    if request.method == "POST" and request.form.get("confirm") == "yes":
        remember_consent(user, client_id, scope)
    elif not consented(user, client_id, scope):
        query = escape(request.query_string.decode())
        return CONSENT_PAGE.format(query=query, client=escape(client_id), scope=escape(scope))
    return server.create_authorization_response(grant_user=user, grant=grant)


@bp.route("/oauth/token", methods=["POST"])
def issue_token() -> Response:
    return server.create_token_response()


@bp.route("/oauth/introspect", methods=["POST"])
def introspect() -> Response:
    return server.create_endpoint_response("introspection")


@bp.route("/jwks")
def jwks() -> Response:
    return jsonify(current_app.config["PEER_JWKS"])


@bp.route("/.well-known/openid-configuration")
def discovery() -> Response:
    issuer = current_app.config["PEER_ISSUER"]
    return jsonify(
        {
            "issuer": issuer,
            "authorization_endpoint": f"{issuer}/oauth/authorize",
            "token_endpoint": f"{issuer}/oauth/token",
            "introspection_endpoint": f"{issuer}/oauth/introspect",
            "jwks_uri": f"{issuer}/jwks",
            "response_types_supported": ["code"],
            "grant_types_supported": ["authorization_code", "refresh_token", "client_credentials"],
            "subject_types_supported": ["public"],
            "id_token_signing_alg_values_supported": ["RS256"],
            "scopes_supported": ["openid", "email"],
            "token_endpoint_auth_methods_supported": ["client_secret_basic"],
            "introspection_endpoint_auth_methods_supported": ["client_secret_basic"],
            "code_challenge_methods_supported": ["S256"],
        }
    )
