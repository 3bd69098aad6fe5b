"""The policy gate, one row per rule and per boundary (VERIFY-10, VERIFY-11, LIMIT-6, SCOPE-4).

Each row: the app's facts, who asks, what is asked -> the reason code, the next step, and the
error code the app would learn. The gate reads no database, so these run on plain data.
"""

from __future__ import annotations

from dataclasses import replace

import pytest

from consentry.domain.consent import entry
from consentry.domain.policy import gate
from consentry.domain.policy.decision import Step
from consentry.domain.policy.facts import (
    ASSESSMENT_VALID,
    AppFacts,
    Ask,
    GateInput,
    Moment,
    Standing,
    Subject,
)

NOW = 1_800_000_000
READ = "https://id.example/auth/mail.readonly"  # restricted
CAL = "https://id.example/auth/calendar.readonly"  # sensitive
META = "https://id.example/auth/files.metadata"  # non-sensitive here
CLASSES = {
    "openid": "non-sensitive",
    "email": "non-sensitive",
    READ: "restricted",
    CAL: "sensitive",
    META: "non-sensitive",
}
ALL = frozenset({READ, CAL, META})

VERIFIED = AppFacts(project_id=1, declared=ALL, approved=ALL)
UNVERIFIED = AppFacts(project_id=1, declared=ALL)
TESTING = AppFacts(project_id=1, status="testing", declared=ALL, test_users=frozenset({"ann@example.org"}))
INTERNAL = AppFacts(project_id=1, user_type="internal", org_domain="corp.example", declared=ALL, approved=ALL)
ANN = Subject(1, "ann@example.org")
BOB = Subject(2, "bob@example.org")
EVE_CORP = Subject(3, "eve@corp.example", "corp.example")


def ask(*scopes: str, moment: Moment = Moment.AUTHORIZE, **kw: object) -> Ask:
    return Ask(moment, scopes, CLASSES, now=NOW, **kw)  # type: ignore[arg-type]


ROWS = [
    # (name, app, subject, ask, reason code, step, error)
    ("verified app proceeds", VERIFIED, ANN, ask("openid", READ), "ok", Step.PROCEED, None),
    (
        "suspended refuses first",
        replace(VERIFIED, suspended_reason="spam", declared=frozenset()),
        ANN,
        ask(READ),
        "app_suspended",
        Step.REFUSE,
        "access_denied",
    ),
    (
        "suspended at token",
        replace(VERIFIED, suspended_reason="spam"),
        ANN,
        ask(READ, moment=Moment.TOKEN),
        "app_suspended",
        Step.REFUSE,
        "access_denied",
    ),
    (
        "undeclared data scope",
        replace(VERIFIED, declared=frozenset({CAL})),
        ANN,
        ask("openid", READ),
        "scope_undeclared",
        Step.REFUSE,
        "invalid_scope",
    ),
    (
        "sign-in scopes need no declaration",
        replace(VERIFIED, declared=frozenset()),
        ANN,
        ask("openid", "email"),
        "ok",
        Step.PROCEED,
        None,
    ),
    ("internal: outsider", INTERNAL, ANN, ask(CAL), "org_internal", Step.REFUSE, "org_internal"),
    ("internal: member", INTERNAL, EVE_CORP, ask(CAL), "ok", Step.PROCEED, None),
    (
        "internal: outsider at token",
        INTERNAL,
        ANN,
        ask(CAL, moment=Moment.TOKEN),
        "org_internal",
        Step.REFUSE,
        "org_internal",
    ),
    (
        "testing: not a test user",
        TESTING,
        BOB,
        ask("openid"),
        "not_a_test_user",
        Step.REFUSE,
        "access_denied",
    ),
    ("testing: test user is warned", TESTING, ANN, ask("openid", CAL), "app_in_testing", Step.SCREEN, None),
    (
        "testing: warning passed",
        TESTING,
        ANN,
        ask(CAL, passed=frozenset({"testing"})),
        "ok",
        Step.PROCEED,
        None,
    ),
    (
        "testing: no new consent, no warning",
        TESTING,
        ANN,
        ask(CAL, new_consent=False),
        "ok",
        Step.PROCEED,
        None,
    ),
    (
        "testing: a tester taken off the list can no longer refresh",
        TESTING,
        BOB,
        ask(CAL, moment=Moment.TOKEN),
        "not_a_test_user",
        Step.REFUSE,
        "access_denied",
    ),
    (
        "assessment lapsed, restricted asked",
        replace(VERIFIED, assessment_date=NOW - ASSESSMENT_VALID),
        ANN,
        ask(READ),
        "assessment_lapsed",
        Step.REFUSE,
        "access_denied",
    ),
    (
        "assessment lapsed, only sensitive asked",
        replace(VERIFIED, assessment_date=NOW - ASSESSMENT_VALID),
        ANN,
        ask(CAL),
        "ok",
        Step.PROCEED,
        None,
    ),
    (
        "assessment valid",
        replace(VERIFIED, assessment_date=NOW - ASSESSMENT_VALID + 60),
        ANN,
        ask(READ),
        "ok",
        Step.PROCEED,
        None,
    ),
    (
        "assessment lapsed at token",
        replace(VERIFIED, assessment_date=NOW - ASSESSMENT_VALID - 1),
        ANN,
        ask(READ, moment=Moment.TOKEN),
        "assessment_lapsed",
        Step.REFUSE,
        "access_denied",
    ),
    ("unverified: risky scope unapproved", UNVERIFIED, ANN, ask(CAL), "app_unverified", Step.SCREEN, None),
    (
        "unverified: only non-sensitive, no screen",
        UNVERIFIED,
        ANN,
        ask("openid", META),
        "ok",
        Step.PROCEED,
        None,
    ),
    (
        "unverified: screen passed",
        UNVERIFIED,
        ANN,
        ask(CAL, passed=frozenset({"unverified"})),
        "ok",
        Step.PROCEED,
        None,
    ),
    (
        "unverified: approved scope",
        replace(UNVERIFIED, approved=frozenset({CAL})),
        ANN,
        ask(CAL),
        "ok",
        Step.PROCEED,
        None,
    ),
    (
        "unverified: one approved, one not",
        replace(UNVERIFIED, approved=frozenset({CAL})),
        ANN,
        ask(CAL, READ),
        "app_unverified",
        Step.SCREEN,
        None,
    ),
    (
        "unverified: cap reached for a new user",
        replace(UNVERIFIED, unverified_users=2),
        BOB,
        ask(CAL, standing=Standing(cap=2)),
        "unverified_cap_reached",
        Step.REFUSE,
        "access_denied",
    ),
    (
        "unverified: cap reached, counted user comes back",
        replace(UNVERIFIED, unverified_users=2),
        ANN,
        ask(CAL, standing=Standing(cap=2, counted=True)),
        "app_unverified",
        Step.SCREEN,
        None,
    ),
    (
        "unverified: below the cap",
        replace(UNVERIFIED, unverified_users=1),
        BOB,
        ask(CAL, standing=Standing(cap=2)),
        "app_unverified",
        Step.SCREEN,
        None,
    ),
    (
        "unverified: testing apps get the warning instead",
        replace(TESTING, approved=frozenset()),
        ANN,
        ask(CAL),
        "app_in_testing",
        Step.SCREEN,
        None,
    ),
    (
        "unverified: internal apps are exempt",
        replace(INTERNAL, approved=frozenset()),
        EVE_CORP,
        ask(CAL),
        "ok",
        Step.PROCEED,
        None,
    ),
    (
        "unverified: no new consent, no screen",
        UNVERIFIED,
        ANN,
        ask(CAL, new_consent=False),
        "ok",
        Step.PROCEED,
        None,
    ),
    (
        "unverified: not at the token endpoint",
        UNVERIFIED,
        ANN,
        ask(CAL, moment=Moment.TOKEN),
        "ok",
        Step.PROCEED,
        None,
    ),
]


@pytest.mark.parametrize(
    ("name", "app", "subject", "asked", "reason", "step", "error"), ROWS, ids=[r[0] for r in ROWS]
)
def test_gate_rows(name, app, subject, asked, reason, step, error) -> None:
    # VERIFY-10, VERIFY-11, LIMIT-6
    decision = gate.evaluate(GateInput(app, subject, asked))
    assert (decision.reason_code, decision.next_step, decision.error) == (reason, step, error)
    assert decision.explanation  # every decision says why, in words a user can read


def test_order_is_declared_once_and_refusals_of_the_app_come_first() -> None:
    names = [r.name for r in gate.ORDER]
    assert names[0] == "suspended" and names[-1] == "unverified_app"
    assert names.index("organization_rules") < names.index("testing_warning")  # admins' rules before screens


def test_token_refusals_carry_token_error_codes() -> None:
    suspended = gate.evaluate(
        GateInput(replace(VERIFIED, suspended_reason="x"), ANN, ask(READ, moment=Moment.TOKEN))
    )
    assert suspended.token_error == "unauthorized_client"
    lapsed = gate.evaluate(
        GateInput(replace(VERIFIED, assessment_date=0), ANN, ask(READ, moment=Moment.TOKEN))
    )
    assert lapsed.token_error == "invalid_grant"


def test_undeclared_scope_goes_back_to_the_app_others_are_pages() -> None:
    undeclared = gate.evaluate(GateInput(replace(VERIFIED, declared=frozenset()), ANN, ask(READ)))
    assert undeclared.redirect
    internal = gate.evaluate(GateInput(INTERNAL, ANN, ask(CAL)))
    assert not internal.redirect


def test_cap_and_lapse_tell_the_developer() -> None:
    cap = gate.evaluate(
        GateInput(replace(UNVERIFIED, unverified_users=5), BOB, ask(CAL, standing=Standing(cap=5)))
    )
    assert cap.tell_developer
    assert not gate.evaluate(GateInput(TESTING, BOB, ask(CAL))).tell_developer


def test_plan_asks_only_new_scopes_and_screens_only_when_consent_is_due() -> None:
    # SCOPE-4: incremental authorization asks only for what is new
    plan = entry.plan(
        UNVERIFIED, ANN, ["openid", CAL, META], frozenset({"openid", META}), classes=CLASSES, now=NOW
    )
    assert plan.to_ask == (CAL,) and plan.screen == "unverified"
    plan = entry.plan(UNVERIFIED, ANN, ["openid", CAL], frozenset({"openid", CAL}), classes=CLASSES, now=NOW)
    assert plan.to_ask == () and plan.decision.proceeds and not plan.consent_due
    plan = entry.plan(
        UNVERIFIED,
        ANN,
        ["openid", CAL],
        frozenset({"openid", CAL}),
        classes=CLASSES,
        now=NOW,
        prompts={"consent"},
    )
    assert plan.screen == "unverified"  # asked again: the screen comes again


def test_a_brand_changed_since_approval_meets_the_unverified_screen_again() -> None:  # VERIFY-3 VERIFY-11
    rebranded = replace(VERIFIED, brand_reviewed=False)
    decision = gate.evaluate(GateInput(rebranded, ANN, ask(CAL)))
    assert (decision.reason_code, decision.next_step) == ("app_unverified", Step.SCREEN)
    assert gate.evaluate(GateInput(rebranded, ANN, ask("openid", META))).proceeds
