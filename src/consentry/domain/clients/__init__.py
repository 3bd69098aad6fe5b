"""Projects, OAuth clients, redirect-URI rules, hashed secrets."""
