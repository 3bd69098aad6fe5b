"""Grants per (user, client): granted scopes, incremental authorization."""
