"""Consentry: a self-hostable authorization platform."""

__version__ = "0.1.0"
