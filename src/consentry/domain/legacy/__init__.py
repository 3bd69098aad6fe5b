"""The legacy protocols' domain: scope strings, unregistered apps, legacy tokens, replay guard."""
