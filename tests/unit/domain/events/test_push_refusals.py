"""A push never reaches a private address, whatever the endpoint's name resolves to.

# DATA-4 with the SSRF rule: the name is resolved by the pusher itself and every address checked
before anything is dialled; nothing here touches the network (the resolver is a function).
"""

from __future__ import annotations

from consentry.domain.events.push import Pusher


def test_a_name_resolving_to_a_private_address_is_not_dialled() -> None:  # DATA-4
    asked: list[tuple[str, int]] = []

    def resolve(host: str, port: int) -> list[str]:
        asked.append((host, port))
        return ["93.184.216.34", "10.0.0.7"]  # one public, one private: refused as a whole

    result = Pusher(resolve=resolve).push("https://events.example.com/set", "a.b.c")
    assert asked == [("events.example.com", 443)]
    assert result.outcome == "retry" and result.status is None
    assert result.detail == "events.example.com resolves to 10.0.0.7, a private or loopback address"


def test_an_endpoint_that_no_longer_passes_the_rule_waits_with_the_reason() -> None:  # DATA-4
    result = Pusher(allow_private=False).push("http://127.0.0.1:9/set", "a.b.c")
    assert result.outcome == "retry"
    assert "must be an https:// URL" in result.detail


def test_no_endpoint_waits_too() -> None:
    assert Pusher().push("", "a.b.c").detail == "the project has no events endpoint"


def test_a_name_that_does_not_resolve_is_a_retry() -> None:
    def resolve(host: str, port: int) -> list[str]:
        raise OSError("Name or service not known")

    result = Pusher(resolve=resolve).push("https://nowhere.example.com/set", "a.b.c")
    assert result.outcome == "retry" and "does not resolve" in result.detail
