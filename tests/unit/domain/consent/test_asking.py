"""Granular consent: only ticks grant data scopes; unticked shown scopes are withdrawn (CONSENT-6)."""

from consentry.domain.consent.asking import nothing_granted, read_ticks, to_ask

CAL = "https://id.example/auth/calendar.readonly"
READ = "https://id.example/auth/mail.readonly"


def test_only_ticked_offered_scopes_are_granted() -> None:  # CONSENT-6
    ticks = read_ticks(["openid", CAL, READ], ["openid", CAL, READ], [CAL])
    assert ticks.agreed == ("openid", CAL)
    assert ticks.withdrawn == (READ,) and ticks.denied == (READ,)


def test_a_forged_tick_on_a_scope_not_offered_grants_nothing() -> None:  # CONSENT-6
    ticks = read_ticks(["openid", CAL, READ], ["openid", CAL], [CAL, READ])
    assert ticks.agreed == ("openid", CAL)


def test_cancel_grants_nothing_and_denies_every_data_scope() -> None:  # CONSENT-6
    ticks = nothing_granted(["openid", CAL, READ])
    assert ticks.agreed == () and ticks.withdrawn == () and ticks.denied == (CAL, READ)


def test_to_ask_is_incremental_unless_prompt_consent() -> None:  # SCOPE-4
    assert to_ask(frozenset({CAL}), [CAL, READ], set()) == [READ]
    assert to_ask(frozenset({CAL}), [CAL, READ], {"consent"}) == [CAL, READ]
    assert to_ask(frozenset(), [CAL], set()) == [CAL]
