"""Refresh rotation, code replay, revocation, introspection, tokeninfo (AUTH2-1, AUTH2-6, AUTH0-3)."""

from __future__ import annotations

from sqlalchemy import select

from consentry.storage.tables import AuditEvent, AuthorizationCode, Token
from tests.conftest import ISSUER
from tests.support.flows import exchange, get_code, tokens_for

MAIL = f"{ISSUER}/auth/mail.readonly"


def test_refresh_token_only_with_offline_access(seed, browser, client):  # AUTH2-1
    c = seed.client("web")
    seed.user("u@example.org")
    online = tokens_for(browser, client, c, "u@example.org", f"openid {MAIL}")
    assert "refresh_token" not in online
    offline = tokens_for(browser, client, c, "u@example.org", f"openid {MAIL}", access_type="offline")
    assert offline["refresh_token"].startswith("cr2.")


def test_refresh_rotates_and_reuse_revokes_the_whole_grant(seed, browser, client):  # AUTH2-1, RFC 9700 4.14
    c = seed.client("web")
    seed.user("u@example.org")
    t1 = tokens_for(browser, client, c, "u@example.org", f"openid {MAIL}", access_type="offline")
    auth = (c.client_id, c.client_secret)
    r2 = client.post(
        "/token", data={"grant_type": "refresh_token", "refresh_token": t1["refresh_token"]}, auth=auth
    )
    assert r2.status_code == 200, r2.text
    t2 = r2.json()
    assert t2["refresh_token"] != t1["refresh_token"] and t2["access_token"] != t1["access_token"]
    # Replaying the rotated token is theft: refused, and every token of the family dies.
    replay = client.post(
        "/token", data={"grant_type": "refresh_token", "refresh_token": t1["refresh_token"]}, auth=auth
    )
    assert replay.status_code == 400 and replay.json()["error"] == "invalid_grant", replay.text
    r3 = client.post(
        "/token", data={"grant_type": "refresh_token", "refresh_token": t2["refresh_token"]}, auth=auth
    )
    assert r3.json()["error"] == "invalid_grant"
    intro = client.post("/introspect", data={"token": t2["access_token"]}, auth=auth)
    assert intro.json() == {"active": False}


def test_code_is_single_use_and_replay_revokes_issued_tokens(seed, browser, client):  # AUTH2-1
    c = seed.client("web")
    seed.user("u@example.org")
    code, verifier = get_code(browser, c, "u@example.org", f"openid {MAIL}", access_type="offline")
    first = exchange(client, c, code, verifier)
    assert first.status_code == 200
    second = exchange(client, c, code, verifier)
    assert second.status_code == 400 and second.json()["error"] == "invalid_grant"
    intro = client.post(
        "/introspect", data={"token": first.json()["access_token"]}, auth=(c.client_id, c.client_secret)
    )
    assert intro.json()["active"] is False


def test_wrong_pkce_verifier_and_redirect_mismatch_fail(seed, browser, client):  # AUTH2-1
    c = seed.client("web", redirect_uris=["https://app.example.org/cb", "https://app.example.org/other"])
    seed.user("u@example.org")
    code, _v = get_code(browser, c, "u@example.org", "openid")
    bad = exchange(client, c, code, "x" * 50)
    assert bad.json() == {"error": "invalid_grant", "error_description": "Code challenge failed."}
    code, verifier = get_code(browser, c, "u@example.org", "openid")
    r = client.post(
        "/token",
        data={
            "grant_type": "authorization_code",
            "code": code,
            "code_verifier": verifier,
            "redirect_uri": "https://app.example.org/other",
        },
        auth=(c.client_id, c.client_secret),
    )
    assert r.json()["error"] == "invalid_grant"


def test_expired_code_is_refused(seed, browser, client, settings):
    c = seed.client("web")
    seed.user("u@example.org")
    code, verifier = get_code(browser, c, "u@example.org", "openid")
    with seed.db.unit_of_work() as s:
        for row in s.scalars(select(AuthorizationCode)):
            row.expires_at = 0
    assert exchange(client, c, code, verifier).json()["error"] == "invalid_grant"


def test_tokens_and_codes_are_stored_only_as_hashes(seed, browser, client):  # SEC-3 AUTH0-3
    c = seed.client("web")
    seed.user("u@example.org")
    code, verifier = get_code(browser, c, "u@example.org", f"openid {MAIL}", access_type="offline")
    t = exchange(client, c, code, verifier).json()
    with seed.db.unit_of_work() as s:
        rows = list(s.scalars(select(Token)))
        codes = list(s.scalars(select(AuthorizationCode)))
        dump = repr([(r.access_hash, r.refresh_hash) for r in rows]) + repr([x.code_hash for x in codes])
    assert len(rows) == 1 and rows[0].user_id is not None and rows[0].client_pk == c.pk
    for secret in (t["access_token"], t["refresh_token"], code):
        assert secret not in dump
    assert len(rows[0].access_hash) == 64


def test_client_credentials_for_service_clients_only(seed, client):
    svc = seed.client("service")
    r = client.post(
        "/token", data={"grant_type": "client_credentials"}, auth=(svc.client_id, svc.client_secret)
    )
    assert r.status_code == 200 and r.json()["token_type"] == "Bearer" and "refresh_token" not in r.json()
    bad = client.post("/token", data={"grant_type": "client_credentials"}, auth=(svc.client_id, "wrong"))
    assert bad.status_code == 401 and bad.json()["error"] == "invalid_client"
    web = seed.client("web")
    r = client.post(
        "/token", data={"grant_type": "client_credentials"}, auth=(web.client_id, web.client_secret)
    )
    assert r.json()["error"] == "unauthorized_client"


def test_client_secret_post_is_accepted(seed, client):
    svc = seed.client("service")
    r = client.post(
        "/token",
        data={
            "grant_type": "client_credentials",
            "client_id": svc.client_id,
            "client_secret": svc.client_secret,
        },
    )
    assert r.status_code == 200


def test_revocation_and_introspection(seed, browser, client):  # AUTH2-6
    c = seed.client("web")
    sub = seed.user("u@example.org")
    t = tokens_for(browser, client, c, "u@example.org", f"openid email {MAIL}", access_type="offline")
    auth = (c.client_id, c.client_secret)
    intro = client.post("/introspect", data={"token": t["access_token"]}, auth=auth).json()
    assert intro["active"] is True and intro["sub"] == sub and intro["client_id"] == c.client_id
    assert set(intro["scope"].split()) == {"openid", "email", MAIL} and intro["username"] == "u@example.org"
    r_intro = client.post(
        "/introspect", data={"token": t["refresh_token"], "token_type_hint": "refresh_token"}, auth=auth
    ).json()
    assert r_intro["active"] is True
    other = seed.client("service")  # another project: may not introspect this token
    assert client.post(
        "/introspect", data={"token": t["access_token"]}, auth=(other.client_id, other.client_secret)
    ).json() == {"active": False}
    rv = client.post("/revoke", data={"token": t["refresh_token"]}, auth=auth)
    assert rv.status_code == 200
    with seed.db.unit_of_work() as s:
        ((token_id, family),) = s.execute(select(Token.id, Token.family)).all()
        events = s.scalars(select(AuditEvent.data).where(AuditEvent.tag == "token:revoke")).all()
    # which token, through which protocol, as what, and the family that ended with it
    assert events == [
        {
            "token": token_id,
            "protocol": "oauth2",
            "kind": "refresh_token",
            "family": family,
            "channel": "protocol",
        }
    ]
    assert client.post("/introspect", data={"token": t["access_token"]}, auth=auth).json() == {
        "active": False
    }
    assert client.post("/revoke", data={"token": "never-issued"}, auth=auth).status_code == 200
    ui = client.get("/userinfo", headers={"Authorization": f"Bearer {t['access_token']}"})
    assert ui.status_code == 401 and 'error="invalid_token"' in ui.headers["www-authenticate"]


def test_tokeninfo(seed, browser, client):  # AUTH2-6
    c = seed.client("web")
    sub = seed.user("u@example.org")
    t = tokens_for(browser, client, c, "u@example.org", f"openid email {MAIL}", access_type="offline")
    info = client.post("/tokeninfo", data={"access_token": t["access_token"]}).json()  # ISSUE-9.9: body only
    assert info["sub"] == sub and info["aud"] == c.client_id and info["email"] == "u@example.org"
    assert info["access_type"] == "offline" and int(info["expires_in"]) > 3000
    idt = client.post("/tokeninfo", data={"id_token": t["id_token"]}).json()
    assert idt["sub"] == sub and idt["aud"] == c.client_id
    bad = client.post("/tokeninfo", data={"access_token": "nope"})
    assert bad.status_code == 400 and bad.json() == {
        "error": "invalid_token",
        "error_description": "Invalid Value",
    }


def test_jwt_access_tokens_follow_rfc9068(seed, browser, client):
    from joserfc import jwt
    from joserfc.jwk import KeySet

    c = seed.client("web", access_token_format="jwt", id_token_alg="ES256")
    sub = seed.user("u@example.org")
    t = tokens_for(browser, client, c, "u@example.org", f"openid {MAIL}")
    keys = KeySet.import_key_set(client.get("/jwks").json())
    at = jwt.decode(t["access_token"], keys)
    assert at.header["typ"] == "at+jwt" and at.claims["sub"] == sub and at.claims["client_id"] == c.client_id
    assert at.claims["iss"] == ISSUER and MAIL in at.claims["scope"].split()
    idt = jwt.decode(t["id_token"], keys)
    assert idt.header["alg"] == "ES256"
    assert (
        client.get("/userinfo", headers={"Authorization": f"Bearer {t['access_token']}"}).status_code == 200
    )


def test_refused_refresh_does_not_burn_the_token(seed, browser, client):  # AUTH2-1
    c = seed.client("web")
    seed.user("u@example.org")
    t = tokens_for(browser, client, c, "u@example.org", f"openid {MAIL}", access_type="offline")
    auth = (c.client_id, c.client_secret)
    bad = client.post(
        "/token",
        data={
            "grant_type": "refresh_token",
            "refresh_token": t["refresh_token"],
            "scope": f"{ISSUER}/auth/mail",
        },
        auth=auth,
    )
    assert bad.status_code == 400 and bad.json()["error"] == "invalid_scope"
    ok = client.post(
        "/token", data={"grant_type": "refresh_token", "refresh_token": t["refresh_token"]}, auth=auth
    )
    assert ok.status_code == 200, ok.text
    # narrowing is allowed: the new token carries only the asked subset
    narrow = client.post(
        "/token",
        data={"grant_type": "refresh_token", "refresh_token": ok.json()["refresh_token"], "scope": MAIL},
        auth=auth,
    )
    assert narrow.status_code == 200 and narrow.json()["scope"] == MAIL
