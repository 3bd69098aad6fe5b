"""Service accounts (AUTH2-5): ``service`` clients with an address and key pairs, for the JWT
bearer grant (RFC 7523); only public keys are stored, a generated private key is shown once."""
