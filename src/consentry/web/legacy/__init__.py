"""The legacy protocols' web endpoints (OAuth 1.0a, AuthSub, ClientLogin, the widget proxy)."""
