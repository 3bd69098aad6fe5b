"""The developer console: projects, their consent screen, clients, domains and verification."""
