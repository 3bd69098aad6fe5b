"""The organization's rules in the policy gate (issue 14, AUTH0-5, VERIFY-10), table-driven."""

from __future__ import annotations

import pytest

from consentry.domain.policy import gate
from consentry.domain.policy.facts import AppFacts, Ask, GateInput, Moment, OrgPolicy, Subject
from consentry.domain.scopes.catalogue import Catalogue

ISSUER = "https://id.example.org"
CAT = Catalogue(ISSUER)
MAIL = f"{ISSUER}/auth/mail.readonly"  # restricted
LABELS = f"{ISSUER}/auth/mail.labels"  # non-sensitive
CAL = f"{ISSUER}/auth/calendar.readonly"  # sensitive
APP = AppFacts(project_id=7, declared=frozenset(CAT.uris()), approved=frozenset(CAT.uris()))
OWN_INTERNAL = AppFacts(
    project_id=8, user_type="internal", org_domain="corp.example", declared=frozenset(CAT.uris())
)


def decide(org: OrgPolicy | None, scopes: tuple[str, ...], app: AppFacts = APP) -> str:
    subject = Subject(1, "ann@corp.example", "corp.example", org)
    ask = Ask(Moment.AUTHORIZE, ("openid", *scopes), CAT.classes, passed=frozenset({"unverified", "testing"}))
    d = gate.evaluate(GateInput(app, subject, ask))
    return d.reason_code if not d.proceeds else "proceed"


@pytest.mark.parametrize(
    ("org", "scopes", "expected"),
    [
        (None, (MAIL,), "proceed"),  # no organization: nothing to enforce
        (OrgPolicy(), (MAIL,), "proceed"),  # default rules allow
        (OrgPolicy(access="blocked"), (), "admin_policy_enforced"),
        (OrgPolicy(access="blocked", approved_request=True), (MAIL,), "proceed"),  # an approved request
        (OrgPolicy(unconfigured="block"), (), "admin_policy_enforced"),
        (OrgPolicy(unconfigured="block", access="trusted"), (MAIL,), "proceed"),
        (OrgPolicy(unconfigured="sign-in-only"), (), "proceed"),
        (OrgPolicy(unconfigured="sign-in-only"), (LABELS,), "admin_policy_enforced"),
        (OrgPolicy(access="limited"), (LABELS,), "proceed"),  # non-sensitive is fine
        (OrgPolicy(access="limited"), (CAL,), "admin_policy_enforced"),
        (OrgPolicy(access="limited", approved_request=True), (MAIL,), "admin_policy_enforced"),
        (OrgPolicy(restricted_apis=frozenset({"mail"})), (MAIL,), "admin_policy_enforced"),
        (OrgPolicy(restricted_apis=frozenset({"mail"})), (CAL,), "proceed"),
        (OrgPolicy(restricted_apis=frozenset({"mail"}), access="trusted"), (MAIL,), "proceed"),
    ],
)
def test_org_rules(org: OrgPolicy | None, scopes: tuple[str, ...], expected: str) -> None:
    # issue 14: trusted / limited / blocked, the unconfigured policy, restricted APIs
    assert decide(org, scopes) == expected


def test_the_orgs_own_message_is_the_explanation_and_the_user_may_ask() -> None:
    # issue 14: a page with the organization's own message; the user may ask the admins
    subject = Subject(
        1, "ann@corp.example", "corp.example", OrgPolicy(access="blocked", message="Ask IT first.")
    )
    d = gate.evaluate(GateInput(APP, subject, Ask(Moment.AUTHORIZE, ("openid",), CAT.classes)))
    assert (d.reason_code, d.explanation, d.error, d.ask_admin) == (
        "admin_policy_enforced",
        "Ask IT first.",
        "admin_policy_enforced",
        True,
    )


def test_internal_apps_may_need_approval_before_first_use() -> None:
    # issue 14: admins may require approval before first use of the org's Internal apps
    needs = OrgPolicy(internal_approval=True)
    assert decide(needs, (CAL,), OWN_INTERNAL) == "admin_policy_enforced"
    assert decide(OrgPolicy(internal_approval=True, approved_request=True), (CAL,), OWN_INTERNAL) == "proceed"
    assert decide(OrgPolicy(internal_approval=True, access="trusted"), (CAL,), OWN_INTERNAL) == "proceed"
    assert decide(OrgPolicy(unconfigured="block"), (CAL,), OWN_INTERNAL) == "proceed"  # own apps


def test_an_installed_app_skips_the_unverified_app_screen_in_that_org_only() -> None:
    # VERIFY-10: domain-wide installation exempts the app from verification for that organization
    unverified = AppFacts(project_id=9, declared=frozenset(CAT.uris()))
    ask = Ask(Moment.AUTHORIZE, ("openid", CAL), CAT.classes)
    installed = Subject(1, "ann@corp.example", "corp.example", OrgPolicy(access="trusted", installed=True))
    elsewhere = Subject(2, "bo@other.example", "other.example", OrgPolicy())
    assert gate.evaluate(GateInput(unverified, installed, ask)).proceeds
    assert gate.evaluate(GateInput(unverified, elsewhere, ask)).screen == "unverified"
