"""Signing keys, rotation, envelope encryption."""
