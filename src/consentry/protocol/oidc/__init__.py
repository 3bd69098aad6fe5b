"""OpenID Connect: ID token, userinfo, discovery, JWKS."""
