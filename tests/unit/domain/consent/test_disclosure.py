"""The consent screen's disclosure as data (CONSENT-1..4, CONSENT-8), on SQLite and PostgreSQL.

Each test builds real rows (a project, its client, verification requests) and reads back what a
user would be shown: who the app is, each scope in plain words, what the developer declared.
"""

from __future__ import annotations

import hashlib
import io
import json
from dataclasses import replace
from typing import Any

import pytest
from PIL import Image

from consentry.domain.consent.disclosure import (
    DISCLOSURE_VERSION,
    HELP_URL,
    Disclosure,
    disclosure_for,
)
from consentry.domain.consent.disclosure_words import MAX_DECLARED, RISK
from consentry.domain.projects.logo import reencode_logo
from consentry.domain.projects.service import brand_of
from consentry.domain.scopes.catalogue import Catalogue
from consentry.errors import NotFound
from consentry.storage.tables import Client, Project, VerificationRequest
from tests.support.seed import SeededClient, Seeder

ISSUER = "http://testserver.local"
MAIL_READONLY = f"{ISSUER}/auth/mail.readonly"
CALENDAR = f"{ISSUER}/auth/calendar.readonly"
FILES_FILE = f"{ISSUER}/auth/files.file"
SIGN_IN = ["openid", "email", "profile"]
BRAND: dict[str, Any] = {
    "app_name": "Mail Sorter",
    "support_email": "help@mailsorter.example.com",
    "home_page": "https://www.mailsorter.example.com/",
    "privacy_policy": "https://www.mailsorter.example.com/privacy",
    "terms": "https://www.mailsorter.example.com/terms",
    "authorized_domains": ["mailsorter.example.com"],
    "developer_contacts": ["dev@mailsorter.example.com", "ops@mailsorter.example.com"],
}


def _png() -> bytes:
    out = io.BytesIO()
    Image.new("RGBA", (80, 80), (20, 90, 200, 255)).save(out, format="PNG")
    return reencode_logo(out.getvalue())


@pytest.fixture
def catalogue() -> Catalogue:
    return Catalogue(ISSUER)


def _app(seed: Seeder, *, status: str = "production", name: str = "Sorter web", **brand: Any) -> SeededClient:
    client = seed.client("web", status=status, name=name)
    with seed.db.unit_of_work() as s:
        project = s.get(Client, client.pk).project  # type: ignore[union-attr]
        project.approved_scopes = []  # nothing reviewed yet, whatever the seeder's default
        for key, value in brand.items():
            setattr(project, key, value)
    return client


def _request(seed: Seeder, client: SeededClient, state: str, **fields: Any) -> None:
    with seed.db.unit_of_work() as s:
        project = s.get(Client, client.pk).project  # type: ignore[union-attr]
        s.add(VerificationRequest(project_id=project.id, state=state, **fields))


def _approve(seed: Seeder, client: SeededClient, scopes: list[str], **fields: Any) -> None:
    """An approved review of ``scopes``, as the reviewers' console leaves it."""
    with seed.db.unit_of_work() as s:
        project: Project = s.get(Client, client.pk).project  # type: ignore[union-attr]
        project.approved_scopes = sorted(set(project.approved_scopes or []) | set(scopes))
        s.add(
            VerificationRequest(
                project_id=project.id,
                state="approved",
                scopes=scopes,
                approved_scopes=scopes,
                brand=brand_of(project),
                **fields,
            )
        )


def _disclose(
    seed: Seeder,
    client: SeededClient,
    catalogue: Catalogue,
    asked: list[str],
    sign_in: list[str] | None = None,
) -> Disclosure:
    with seed.db.unit_of_work() as s:
        return disclosure_for(
            s,
            client_pk=client.pk,
            account_email="ann@example.org",
            account_name="Ann Example",
            sign_in=SIGN_IN if sign_in is None else sign_in,
            asked=asked,
            catalogue=catalogue,
            operator="Example Cloud",
        )


# --- who is asking ---------------------------------------------------------------------------------


def test_the_app_is_named_and_identified_as_configured(
    seed: Seeder, catalogue: Catalogue
) -> None:  # CONSENT-1
    client = _app(seed, logo_png=_png(), **BRAND)
    d = _disclose(seed, client, catalogue, [MAIL_READONLY])
    app = d.app
    assert app.name == "Mail Sorter"
    assert app.client_id == client.client_id
    assert app.logo_url == f"/apps/{client.client_id}/logo.png"
    assert app.domain == "www.mailsorter.example.com"  # the home page's host
    assert (app.home_page, app.privacy_policy, app.terms) == (
        BRAND["home_page"],
        BRAND["privacy_policy"],
        BRAND["terms"],
    )
    assert app.support_email == "help@mailsorter.example.com"
    assert app.developer_email == "dev@mailsorter.example.com"  # the first developer contact
    assert (d.account_email, d.account_name, d.operator) == (
        "ann@example.org",
        "Ann Example",
        "Example Cloud",
    )
    assert d.help_url == HELP_URL == "/help/data"
    assert d.version == DISCLOSURE_VERSION


def test_unset_branding_falls_back_without_inventing_anything(
    seed: Seeder, catalogue: Catalogue
) -> None:  # CONSENT-1
    client = _app(seed, name="Calendar Buddy")
    app = _disclose(seed, client, catalogue, []).app
    assert app.name == "Calendar Buddy"  # no consent-screen name yet: the client's own name
    assert app.logo_url is None
    assert (app.domain, app.home_page, app.privacy_policy, app.terms) == ("", "", "", "")
    assert app.developer_email == ""


def test_domain_and_developer_fall_back_to_the_authorized_domain_and_support_email(
    seed: Seeder, catalogue: Catalogue
) -> None:  # CONSENT-1
    client = _app(seed, authorized_domains=["sorter.example.net"], support_email="help@sorter.example.net")
    app = _disclose(seed, client, catalogue, []).app
    assert app.domain == "sorter.example.net"
    assert app.developer_email == "help@sorter.example.net"


def test_an_unknown_client_is_not_found(seed: Seeder, catalogue: Catalogue) -> None:
    with seed.db.unit_of_work() as s, pytest.raises(NotFound) as caught:
        disclosure_for(
            s,
            client_pk=987654,
            account_email="ann@example.org",
            account_name="",
            sign_in=[],
            asked=[],
            catalogue=catalogue,
            operator="Example Cloud",
        )
    assert caught.value.code == "not_found"


# --- the scopes in plain words ---------------------------------------------------------------------


def test_sign_in_scopes_come_first_and_data_scopes_each_stand_alone(
    seed: Seeder, catalogue: Catalogue
) -> None:  # CONSENT-3 CONSENT-4
    client = _app(seed, **BRAND)
    asked = [MAIL_READONLY, "email", f"{ISSUER}/auth/no.such.scope", CALENDAR, MAIL_READONLY]
    d = _disclose(seed, client, catalogue, asked, sign_in=["openid", "email", "profile", MAIL_READONLY])
    assert [s.name for s in d.sign_in] == ["openid", "email", "profile"]
    # In the app's order, once each; a sign-in scope never gets a checkbox, an unknown one is never shown.
    assert [s.uri for s in d.asked] == d.uris == [MAIL_READONLY, CALENDAR]
    mail = d.asked[0]
    assert mail.name == "mail.readonly"
    assert mail.title == "View your email messages and settings"
    assert mail.scope_class == "restricted"
    assert "Email message bodies and attachments" in mail.reaches
    assert "mail settings and filters" in mail.reaches  # every data type, joined as one sentence
    assert mail.reaches.endswith(".")
    email = d.sign_in[1]
    assert (email.title, email.reaches) == ("See your primary email address", "Your email address.")


def test_each_class_has_a_plain_risk_sentence_without_jargon(
    seed: Seeder, catalogue: Catalogue
) -> None:  # CONSENT-3
    client = _app(seed)
    d = _disclose(seed, client, catalogue, [FILES_FILE, f"{ISSUER}/auth/mail.send", MAIL_READONLY])
    risks = {s.scope_class: s.risk for s in d.asked}
    assert set(risks) == {"non-sensitive", "sensitive", "restricted"}
    assert risks == RISK
    for sentence in risks.values():
        assert "restricted" not in sentence.lower()
        assert "sensitive" not in sentence.lower()
    assert risks["restricted"].startswith("Highest risk")
    assert risks["non-sensitive"].startswith("Lower risk")


# --- what the developer declared ------------------------------------------------------------------


def test_declared_use_and_sharing_come_from_the_approved_request(
    seed: Seeder, catalogue: Catalogue
) -> None:  # CONSENT-3
    client = _app(seed, **BRAND)
    _approve(
        seed,
        client,
        [MAIL_READONLY],
        justifications={
            MAIL_READONLY: {"usage": "Sorts   your inbox\ninto folders.", "why_not_narrower": "x"}
        },
        transfers="Only to our hosting provider",
        human_access="Support staff, only when you ask for help.",
    )
    # A later submission does not overrule what was approved for the scope.
    _request(
        seed,
        client,
        "submitted",
        scopes=[MAIL_READONLY],
        justifications={MAIL_READONLY: {"usage": "Something else"}},
    )
    mail, cal = _disclose(seed, client, catalogue, [MAIL_READONLY, CALENDAR]).asked
    assert mail.use == "Sorts your inbox into folders."  # whitespace collapsed to one line
    assert mail.sharing == (
        "Shared with others: Only to our hosting provider. "
        "Read by people: Support staff, only when you ask for help."
    )
    assert (cal.use, cal.sharing) == ("", "")  # nothing declared for the calendar: nothing claimed


def test_the_latest_submission_fills_in_and_drafts_never_count(
    seed: Seeder, catalogue: Catalogue
) -> None:  # CONSENT-3
    client = _app(seed, status="testing", **BRAND)
    _request(
        seed,
        client,
        "in_review",
        scopes=["mail.readonly"],
        justifications={"mail.readonly": {"usage": "Shows unread counts."}},  # stored by bare name
        transfers="",
        human_access="",
    )
    _request(
        seed,
        client,
        "draft",
        scopes=[MAIL_READONLY, CALENDAR],
        justifications={MAIL_READONLY: {"usage": "Draft words"}, CALENDAR: {"usage": "Draft too"}},
        transfers="To advertisers",
    )
    mail, cal = _disclose(seed, client, catalogue, [MAIL_READONLY, CALENDAR]).asked
    assert (mail.use, mail.sharing) == ("Shows unread counts.", "")
    assert (cal.use, cal.sharing) == ("", "")


def test_a_long_declaration_is_clipped(seed: Seeder, catalogue: Catalogue) -> None:  # CONSENT-3
    client = _app(seed)
    _request(
        seed,
        client,
        "submitted",
        scopes=[MAIL_READONLY],
        justifications={MAIL_READONLY: {"usage": "a" * 5000}},
    )
    (mail,) = _disclose(seed, client, catalogue, [MAIL_READONLY]).asked
    assert len(mail.use) == MAX_DECLARED and mail.use.endswith("\u2026")


# --- verified or not --------------------------------------------------------------------------------


def test_verified_needs_production_and_an_approval_covering_every_risky_scope(
    seed: Seeder, catalogue: Catalogue
) -> None:  # CONSENT-1
    client = _app(seed, **BRAND)
    assert not _disclose(seed, client, catalogue, [MAIL_READONLY]).app.verified  # never reviewed
    _approve(seed, client, [MAIL_READONLY])
    app = _disclose(seed, client, catalogue, [MAIL_READONLY, FILES_FILE]).app
    assert app.verified and not app.testing and app.review_needed
    # A scope the approval did not cover (calendar.readonly is sensitive) is not verified.
    assert not _disclose(seed, client, catalogue, [MAIL_READONLY, CALENDAR]).app.verified


def test_the_projects_approved_scopes_are_what_counts_as_with_the_policy_gate(
    seed: Seeder, catalogue: Catalogue
) -> None:  # CONSENT-1
    # Approvals recorded on the project (what the gate reads), even with no request row at hand.
    client = _app(seed, approved_scopes=[MAIL_READONLY], **BRAND)
    assert _disclose(seed, client, catalogue, [MAIL_READONLY, FILES_FILE]).app.verified
    assert not _disclose(seed, client, catalogue, [CALENDAR]).app.verified


def test_a_brand_change_after_approval_loses_the_badge(
    seed: Seeder, catalogue: Catalogue
) -> None:  # CONSENT-1
    client = _app(seed, **BRAND)
    _approve(seed, client, [MAIL_READONLY])
    assert _disclose(seed, client, catalogue, [MAIL_READONLY]).app.verified
    with seed.db.unit_of_work() as s:
        s.get(Client, client.pk).project.app_name = "Mail Sorter Pro"  # type: ignore[union-attr]
    app = _disclose(seed, client, catalogue, [MAIL_READONLY]).app
    assert app.name == "Mail Sorter Pro" and not app.verified


def test_an_app_in_testing_is_never_shown_as_verified(
    seed: Seeder, catalogue: Catalogue
) -> None:  # CONSENT-1
    client = _app(seed, status="testing", **BRAND)
    _approve(seed, client, [MAIL_READONLY])
    app = _disclose(seed, client, catalogue, [MAIL_READONLY]).app
    assert app.testing and not app.verified


def test_basic_scopes_need_no_review(seed: Seeder, catalogue: Catalogue) -> None:  # CONSENT-1
    client = _app(seed)
    app = _disclose(seed, client, catalogue, [FILES_FILE]).app
    assert not app.review_needed and not app.verified


# --- the receipt's record -----------------------------------------------------------------------------


def test_as_dict_is_json_and_the_digest_covers_everything_shown(
    seed: Seeder, catalogue: Catalogue
) -> None:  # CONSENT-8
    client = _app(seed, **BRAND)
    _request(
        seed, client, "submitted", scopes=[MAIL_READONLY], justifications={MAIL_READONLY: {"usage": "Sorts."}}
    )
    d = _disclose(seed, client, catalogue, [MAIL_READONLY])
    data = d.as_dict()
    assert json.loads(json.dumps(data)) == data
    assert data["version"] == DISCLOSURE_VERSION
    assert data["app"]["name"] == "Mail Sorter"
    assert data["asked"][0]["use"] == "Sorts."
    canonical = json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    assert d.digest == hashlib.sha256(canonical.encode()).hexdigest()
    assert len(d.digest) == 64
    # The same inputs give the same digest; any change in what is shown gives another one.
    assert _disclose(seed, client, catalogue, [MAIL_READONLY]).digest == d.digest
    assert _disclose(seed, client, catalogue, [MAIL_READONLY, CALENDAR]).digest != d.digest
    _request(
        seed, client, "submitted", scopes=[MAIL_READONLY], justifications={MAIL_READONLY: {"usage": "Reads."}}
    )
    assert _disclose(seed, client, catalogue, [MAIL_READONLY]).digest != d.digest
    assert replace(d, version="1999-01-01.1").digest != d.digest
