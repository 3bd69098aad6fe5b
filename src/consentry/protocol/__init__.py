"""Protocol glue over Authlib, one package per standard; no SQL here."""
