"""An ID token's header names the key that signs it, even if the key set is reloaded meanwhile."""

from __future__ import annotations

from types import SimpleNamespace

from consentry.domain.tokens.store import Found
from consentry.protocol.oauth2.exchange import Exchange, bound
from consentry.protocol.oidc.id_token import ConsentryOpenIDCode


class Rotating:
    """A key set that changes between two reads, as a reload by another thread can make it."""

    def __init__(self, *kids: str) -> None:
        self.left = [SimpleNamespace(kid=kid) for kid in kids]

    def signing_key(self, _alg: str) -> SimpleNamespace:
        return self.left.pop(0)


def test_the_header_and_the_signature_take_one_key_per_request() -> None:
    # ISSUE-10 (hooks read the exchange): Authlib asks for the header's kid and for the private key
    # in two hooks; a rotation taking effect between them must not sign with one key and name another.
    ext = ConsentryOpenIDCode(SimpleNamespace(keys=Rotating("old", "new", "newer")))
    client = SimpleNamespace(row=SimpleNamespace(id_token_alg="RS256"))
    with bound(Exchange(Found())):
        header = ext.get_encode_header(client)
        key = ext.resolve_client_private_key(client)
    assert header == {"alg": "RS256", "kid": "old", "typ": "JWT"}
    assert key.kid == "old"
    with bound(Exchange(Found())):  # the next request takes the key set as it is then
        assert ext.resolve_client_private_key(client).kid == "new"
        assert ext.get_encode_header(client)["kid"] == "new"
