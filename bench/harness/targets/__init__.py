"""Servers under test: Consentry (SQLite, PostgreSQL) and the peers."""
