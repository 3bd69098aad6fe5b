"""Discovery metadata (RFC 8414 and OpenID Connect Discovery), with our legacy endpoints."""

from __future__ import annotations

from typing import Any

from consentry.domain.accounts.amr import ACR_VALUES
from consentry.domain.legacy.switches import enabled
from consentry.domain.scopes.catalogue import Catalogue
from consentry.settings import Settings

LEGACY_PATHS = {
    "oauth1_request_token": "/accounts/OAuthGetRequestToken",
    "oauth1_authorize": "/accounts/OAuthAuthorizeToken",
    "oauth1_access_token": "/accounts/OAuthGetAccessToken",
    "authsub_request": "/accounts/AuthSubRequest",
    "authsub_session_token": "/accounts/AuthSubSessionToken",
    "authsub_revoke_token": "/accounts/AuthSubRevokeToken",
    "authsub_token_info": "/accounts/AuthSubTokenInfo",
    "client_login": "/accounts/ClientLogin",
    "unlock_captcha": "/accounts/DisplayUnlockCaptcha",
    "gadget_proxy": "/gadgets/proxy",
}
AUTH_METHODS = ["client_secret_basic", "client_secret_post", "private_key_jwt", "none"]


#: Which protocol serves each legacy endpoint (an operator may turn each one off).
LEGACY_PROTOCOL = {
    "oauth1_request_token": "oauth1",
    "oauth1_authorize": "oauth1",
    "oauth1_access_token": "oauth1",
    "authsub_request": "authsub",
    "authsub_session_token": "authsub",
    "authsub_revoke_token": "authsub",
    "authsub_token_info": "authsub",
    "client_login": "clientlogin",
    "unlock_captcha": "clientlogin",
    "gadget_proxy": "gadget",
}


def metadata(issuer: str, catalogue: Catalogue, settings: Settings | None = None) -> dict[str, Any]:
    def ep(path: str) -> str:
        return issuer + path

    return {
        "issuer": issuer,
        "authorization_endpoint": ep("/authorize"),
        "token_endpoint": ep("/token"),
        "userinfo_endpoint": ep("/userinfo"),
        "jwks_uri": ep("/jwks"),
        "revocation_endpoint": ep("/revoke"),
        "introspection_endpoint": ep("/introspect"),
        "device_authorization_endpoint": ep("/device/code"),
        "tokeninfo_endpoint": ep("/tokeninfo"),
        "end_session_endpoint": ep("/signout"),
        "scopes_supported": catalogue.uris(),
        "response_types_supported": ["code"],
        "response_modes_supported": ["query"],
        "grant_types_supported": [
            "authorization_code",
            "refresh_token",
            "client_credentials",
            "urn:ietf:params:oauth:grant-type:device_code",
            "urn:ietf:params:oauth:grant-type:jwt-bearer",  # service accounts (RFC 7523, AUTH2-5)
        ],
        "subject_types_supported": ["public"],
        "id_token_signing_alg_values_supported": ["RS256", "ES256"],
        "token_endpoint_auth_methods_supported": AUTH_METHODS,
        "token_endpoint_auth_signing_alg_values_supported": ["RS256", "ES256", "PS256"],
        "revocation_endpoint_auth_methods_supported": AUTH_METHODS,
        "revocation_endpoint_auth_signing_alg_values_supported": ["RS256", "ES256", "PS256"],
        "introspection_endpoint_auth_methods_supported": AUTH_METHODS[:3],
        "introspection_endpoint_auth_signing_alg_values_supported": ["RS256", "ES256", "PS256"],
        "code_challenge_methods_supported": ["S256"],
        "claims_supported": [
            "sub",
            "iss",
            "aud",
            "exp",
            "iat",
            "auth_time",
            "nonce",
            "name",
            "email",
            "email_verified",
            "hd",
            "at_hash",
            "azp",
            "amr",
            "acr",
        ],
        "prompt_values_supported": ["none", "login", "consent", "select_account"],
        "acr_values_supported": list(ACR_VALUES),
        "claims_parameter_supported": False,
        "request_parameter_supported": False,
        "request_uri_parameter_supported": False,
        "authorization_response_iss_parameter_supported": True,  # RFC 9207, protocol/oauth2/issuer.py
        "consentry_ssf_configuration": ep("/.well-known/ssf-configuration"),  # security events to apps
        "consentry_legacy_endpoints": {
            k: ep(v)
            for k, v in LEGACY_PATHS.items()
            if settings is None or enabled(settings, LEGACY_PROTOCOL[k])
        },
    }
