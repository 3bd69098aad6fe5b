"""OAuth 2.0 grants and endpoints on Authlib."""
