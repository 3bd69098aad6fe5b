"""The rules an organization's admins set for third-party apps (issue 14, AUTH0-5, VERIFY-10).

Read from the subject's ``OrgPolicy`` (loaded by domain/orgs/policy_facts.py for every protocol):

- an app the admins **blocked** is refused;
- an app they did not configure follows the org's policy for those: ``block`` refuses it,
  ``sign-in-only`` lets it ask for sign-in scopes only;
- a **limited** app may ask for sign-in and non-sensitive scopes only;
- APIs the admins **restricted** (mail, files, ...) are reached by trusted apps only;
- the org's own Internal apps may need the admins' approval before first use.

Refusals use the reference platform's code ``admin_policy_enforced`` and the organization's own
message; the user may ask the admins for the app (``ask_admin``), and an approved request lets
the member past the block, the unconfigured policy and the internal-approval rule (not past
``limited`` or a restricted API: those are about what data, and the admins can trust the app).
"""

from __future__ import annotations

from consentry.domain.policy.decision import PROCEED, Decision, refuse
from consentry.domain.policy.facts import GateInput, OrgPolicy

CODE = "admin_policy_enforced"


def _refused(org: OrgPolicy, domain: str | None, why: str) -> Decision:
    words = (
        org.message.strip() or f"Your organization ({domain or 'its admins'}) does not allow this app. {why}"
    )
    # PLATFORM_RULES §2: the error itself is admin_policy_enforced (device flow: HTTP 400).
    return refuse(CODE, words, CODE, token_error=CODE, ask_admin=True)


def _api(scope: str) -> str:
    """The API of a catalogue scope URI (``…/auth/mail.readonly`` -> ``mail``)."""
    return scope.rsplit("/", 1)[-1].split(".", 1)[0]


def check(g: GateInput) -> Decision:
    subject = g.subject
    org = subject.org if subject is not None else None
    if org is None or subject is None:
        return PROCEED
    domain = subject.org_domain
    own_internal = g.app.user_type == "internal" and g.app.org_domain == domain
    if org.access == "blocked" and not org.approved_request:
        return _refused(org, domain, "The admins blocked it.")
    access = org.access
    if access is None and not own_internal:
        if org.unconfigured == "block" and not org.approved_request:
            return _refused(org, domain, "Apps the admins have not reviewed are blocked.")
        if org.unconfigured == "sign-in-only":
            access = "sign-in-only"
    data = g.ask.data_scopes()
    if access == "sign-in-only" and data and not org.approved_request:
        return _refused(org, domain, "Apps the admins have not reviewed may only sign you in.")
    if access == "limited" and g.ask.of_class("sensitive", "restricted"):
        return _refused(org, domain, "The admins allow it basic access only, not this data.")
    if access != "trusted" and not own_internal and any(_api(s) in org.restricted_apis for s in data):
        return _refused(org, domain, "Only apps the admins trust may reach this data.")
    if own_internal and org.internal_approval and access != "trusted" and not org.approved_request:
        return _refused(org, domain, "The admins approve each internal app before it is used.")
    return PROCEED
