"""The verification process through its domain services, on both engines (issue 11).

The consoles, the API and the CLI are thin over these services; here the rules themselves are
proven: what is missing at each step, the review states, per-scope approval, brand changes,
the 90-day expiry and the assessment reminders, each leaving audit events and outbox mail.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from consentry.domain.actor import Actor
from consentry.domain.audit.tags import Channel
from consentry.domain.projects.service import BrandForm, Projects
from consentry.domain.scopes.catalogue import Catalogue
from consentry.domain.verification.domain_ownership import ProofResult
from consentry.domain.verification.review import Review
from consentry.domain.verification.service import Submission, Verification
from consentry.domain.verification.states import ReviewState
from consentry.domain.verification.status import DAY
from consentry.domain.verification.sweep import sweep
from consentry.errors import Conflict, Forbidden, InvalidInput, LimitReached, NotFound
from consentry.storage.repositories.console import SqlConsole
from consentry.storage.tables import AuditEvent, OutboxMail, Project, User
from consentry.storage.tables.base import now
from tests.conftest import ISSUER
from tests.support.seed import Seeder

RESTRICTED = f"{ISSUER}/auth/mail.readonly"
SENSITIVE = f"{ISSUER}/auth/calendar.readonly"


def _png() -> bytes:
    import io

    from PIL import Image

    buf = io.BytesIO()
    Image.new("RGB", (128, 128), (26, 86, 219)).save(buf, "PNG")
    return buf.getvalue()


class World:
    def __init__(self, seed: Seeder) -> None:
        self.seed = seed
        seed.user("dev@example.org")
        seed.user("viewer@example.org")
        seed.user("rita@example.org", role="reviewer")

    @contextmanager
    def as_(self, email: str) -> Iterator[tuple[Session, Projects, Verification]]:
        """The services acting as ``email``; the reviewer's side is ``Review(v)``."""
        with self.seed.db.unit_of_work() as s:
            user = s.scalar(select(User).where(User.email == email))
            assert user is not None
            actor = Actor(email=email, user_id=user.id, platform_role=user.role, channel=Channel.WEB)
            projects = Projects(SqlConsole(s), actor, Catalogue(ISSUER))
            yield s, projects, Verification(projects)

    def ready_project(self) -> None:
        """A project with a complete brand, a verified domain and a restricted + sensitive scope."""
        with self.as_("dev@example.org") as (_s, projects, v):
            p = projects.create("Mail Sorter", status="production")
            projects.update_brand(
                p,
                BrandForm(
                    app_name="Mail Sorter",
                    support_email="help@mailsorter.io",
                    authorized_domains=["mailsorter.io"],
                    home_page="https://mailsorter.io/",
                    privacy_policy="https://mailsorter.io/privacy",
                    developer_contacts=["dev@example.org"],
                    logo=_png(),
                ),
            )
            projects.declare_scopes(p, add=["mail.readonly", "calendar.readonly"])
            v.record_proof(p, "mailsorter.io", ProofResult(True, "dns", "verified", "ok"))

    def answers(self, **over: object) -> Submission:
        base = Submission(
            justifications={
                s: {"usage": "We sort the user's mail.", "why_not_narrower": "metadata lacks bodies"}
                for s in (RESTRICTED, SENSITIVE)
            },
            doc_links=["https://mailsorter.io/docs"],
            video_url="https://videos.io/watch/abc",
            transfers="Only to our own servers.",
            human_access="Nobody, except for security investigations.",
            attested=True,
        )
        for k, v in over.items():
            setattr(base, k, v)
        return base


@pytest.fixture
def world(seed: Seeder) -> World:
    return World(seed)


def _mail_to(seed: Seeder, reason: str) -> list[list[str]]:
    with seed.db.unit_of_work() as s:
        return [m.recipients for m in s.scalars(select(OutboxMail).where(OutboxMail.reason == reason))]


def test_the_project_page_says_what_is_missing_at_each_step(world: World) -> None:  # VERIFY-2, VERIFY-3
    with world.as_("dev@example.org") as (_s, projects, v):
        p = projects.create("Fresh", status="production")
        status = v.status(p)
        assert status.needed == "none" and "No verification needed" in status.headline
        projects.declare_scopes(p, add=["mail.readonly"])
        status = v.status(p)
        codes = [m.code for m in status.missing]
        assert status.needed == "restricted"
        assert {"logo", "support_email", "home_page", "privacy_policy", "authorized_domains"} <= set(codes)
        assert "scopes_unapproved" in codes and "assessment_missing" in codes
        assert status.next_action == "Upload a logo (a square PNG, JPEG, GIF or WebP image)."
        projects.update_brand(p, BrandForm(authorized_domains=["fresh.io"]))
        assert "domain_unverified:fresh.io" in [m.code for m in v.status(p).missing]


def test_submit_refuses_an_incomplete_request_and_changes_nothing(world: World) -> None:  # VERIFY-6
    world.ready_project()
    with world.as_("dev@example.org") as (_s, projects, v):
        p = projects.get("Mail Sorter")
        v.save(p, world.answers(video_url="", attested=False))
        with pytest.raises(InvalidInput) as err:
            v.submit(p)
        assert err.value.code == "incomplete"
        assert "demonstration video" in err.value.message and "prohibited uses" in err.value.message
    with world.as_("dev@example.org") as (_s, projects, v):
        assert v.draft(projects.get("Mail Sorter")).state == ReviewState.DRAFT


def test_a_fourth_documentation_link_is_refused(world: World) -> None:  # VERIFY-6
    world.ready_project()
    with world.as_("dev@example.org") as (_s, projects, v):
        p = projects.get("Mail Sorter")
        links = [f"https://mailsorter.io/doc{i}" for i in range(4)]
        with pytest.raises(LimitReached, match="at most 3 documentation links"):
            v.save(p, world.answers(doc_links=links))


def test_ask_answer_approve_some_scopes(world: World, seed: Seeder) -> None:  # VERIFY-7, VERIFY-6
    world.ready_project()
    with world.as_("dev@example.org") as (_s, projects, v):
        p = projects.get("Mail Sorter")
        v.save(p, world.answers())
        row = v.submit(p, prechecks=[{"code": "home_page_reachable", "passed": True}])
        assert row.state == ReviewState.SUBMITTED and sorted(row.scopes) == sorted([RESTRICTED, SENSITIVE])
    assert _mail_to(seed, "review:project:submit") == [["dev@example.org", "help@mailsorter.io"]]
    with world.as_("dev@example.org") as (_s, _projects, v), pytest.raises(Forbidden):
        Review(v).approve("Mail Sorter")  # a developer is not a reviewer
    with world.as_("rita@example.org") as (_s, _projects, v):
        assert Review(v).ask("Mail Sorter", "Show the mail sorting in the video.").state == (
            ReviewState.WAITING_FOR_DEVELOPER
        )
        with pytest.raises(Conflict):  # waiting for the developer: cannot approve yet
            Review(v).approve("Mail Sorter")
    with world.as_("dev@example.org") as (_s, projects, v):
        p = projects.get("Mail Sorter")
        assert "the reviewers asked you something" in v.status(p).headline
        assert v.answer(p, "New video at the same link.").state == ReviewState.IN_REVIEW
    with world.as_("rita@example.org") as (_s, _projects, v):
        row = Review(v).approve("Mail Sorter", scopes=["calendar.readonly"])
        assert row.state == ReviewState.APPROVED and row.approved_scopes == [SENSITIVE]
    with world.as_("dev@example.org") as (s, projects, v):
        p = projects.get("Mail Sorter")
        assert p.approved_scopes == [SENSITIVE]
        status = v.status(p)
        assert status.unapproved == (RESTRICTED,) and not status.verified
        tags = [t for (t,) in s.execute(select(AuditEvent.tag).order_by(AuditEvent.id))]
        for tag in (
            "review:project:submit",
            "review:project:ask",
            "review:project:answer",
            "review:project:approve",
        ):
            assert tag in tags
    assert len(_mail_to(seed, "review:project:ask")) == 1
    assert len(_mail_to(seed, "review:project:approve")) == 1


def test_a_brand_change_cancels_the_open_request(world: World, seed: Seeder) -> None:  # VERIFY-3
    world.ready_project()
    with world.as_("dev@example.org") as (_s, projects, v):
        p = projects.get("Mail Sorter")
        v.save(p, world.answers())
        v.submit(p)
    with world.as_("dev@example.org") as (_s, projects, v):
        p = projects.get("Mail Sorter")
        assert projects.update_brand(p, BrandForm(app_name="Mail Sorter Pro")) is True
        assert v.status(p).review_state == ReviewState.CANCELLED
    assert len(_mail_to(seed, "review:project:cancel")) == 1


def test_roles_and_strangers(world: World) -> None:  # VERIFY-1
    world.ready_project()
    with world.as_("viewer@example.org") as (_s, projects, _v), pytest.raises(NotFound):
        projects.get("Mail Sorter")
    with world.as_("dev@example.org") as (_s, projects, _v):
        projects.set_member(projects.get("Mail Sorter"), "viewer@example.org", "viewer")
        with pytest.raises(Conflict, match="at least one owner"):
            projects.set_member(projects.get("Mail Sorter"), "dev@example.org", "editor")
    with world.as_("viewer@example.org") as (_s, projects, _v):
        p = projects.get("Mail Sorter")
        with pytest.raises(Forbidden):
            projects.update_brand(p, BrandForm(app_name="Hijacked"))
        assert p.app_name == "Mail Sorter"


def test_unanswered_question_expires_after_90_days_once(world: World, seed: Seeder) -> None:  # VERIFY-7
    world.ready_project()
    with world.as_("dev@example.org") as (_s, projects, v):
        p = projects.get("Mail Sorter")
        v.save(p, world.answers())
        v.submit(p)
    with world.as_("rita@example.org") as (_s, _projects, v):
        Review(v).ask("Mail Sorter", "Which features use the mail?")
    assert sweep(seed.db, ISSUER, at=now() + 89 * DAY)["expired"] == 0
    assert sweep(seed.db, ISSUER, at=now() + 91 * DAY)["expired"] == 1
    assert sweep(seed.db, ISSUER, at=now() + 92 * DAY)["expired"] == 0
    with world.as_("dev@example.org") as (_s, projects, v):
        assert v.status(projects.get("Mail Sorter")).review_state == ReviewState.EXPIRED
    assert len(_mail_to(seed, "review:project:expire")) == 1


def test_assessment_lapses_after_a_year_with_reminders_once_each(
    world: World, seed: Seeder
) -> None:  # SEC-5, VERIFY-9
    world.ready_project()
    letter = dt.date.today()
    with world.as_("rita@example.org") as (_s, _projects, v):
        with pytest.raises(InvalidInput, match="SEC-8"):
            Review(v).record_assessment(
                "Mail Sorter",
                assessor="Lab",
                tier=2,
                letter_date=letter,
                scopes=["mail.readonly"],
                deletion_checked=False,
            )
        with pytest.raises(InvalidInput, match="restricted"):
            Review(v).record_assessment(
                "Mail Sorter",
                assessor="Lab",
                tier=2,
                letter_date=letter,
                scopes=["calendar.readonly"],
                deletion_checked=True,
            )
        Review(v).record_assessment(
            "Mail Sorter",
            assessor="Lab",
            tier=2,
            letter_date=letter,
            scopes=["mail.readonly"],
            deletion_checked=True,
        )
    with world.as_("dev@example.org") as (_s, projects, v):
        codes = [m.code for m in v.status(projects.get("Mail Sorter")).missing]
        assert not any(c.startswith("assessment") for c in codes)
    start = now()
    assert sweep(seed.db, ISSUER, at=start + 300 * DAY)["reminded"] == 0
    assert sweep(seed.db, ISSUER, at=start + 306 * DAY)["reminded"] == 1  # 59 days left: the 60-day mail
    assert sweep(seed.db, ISSUER, at=start + 307 * DAY)["reminded"] == 0  # never twice
    assert sweep(seed.db, ISSUER, at=start + 336 * DAY)["reminded"] == 1  # 30 days
    assert sweep(seed.db, ISSUER, at=start + 359 * DAY)["reminded"] == 1  # 7 days
    assert len(_mail_to(seed, "review:assessment:reminder")) == 3
    with world.as_("dev@example.org") as (_s, projects, v):
        facts = v.facts(projects.get("Mail Sorter"), at=start + 366 * DAY)
        from consentry.domain.verification.status import evaluate

        assert "assessment_lapsed" in [m.code for m in evaluate(facts).missing]


def test_nothing_stored_when_the_brand_form_is_bad(world: World) -> None:  # VERIFY-2
    world.ready_project()
    with world.as_("dev@example.org") as (_s, projects, _v):
        p = projects.get("Mail Sorter")
        with pytest.raises(InvalidInput):
            projects.update_brand(
                p, BrandForm(app_name="Other", privacy_policy="https://elsewhere.io/privacy")
            )
        assert p.app_name == "Mail Sorter"
    with world.as_("dev@example.org") as (s, _projects, _v):
        assert s.scalar(select(func.count()).select_from(Project).where(Project.app_name == "Other")) == 0


def test_a_reviewer_never_decides_on_their_own_app(world: World, seed: Seeder) -> None:  # VERIFY-7
    world.ready_project()
    with world.as_("dev@example.org") as (_s, projects, v):
        p = projects.get("Mail Sorter")
        projects.set_member(p, "rita@example.org", "editor")
        v.save(p, world.answers())
        v.submit(p)
    with world.as_("rita@example.org") as (_s, _projects, v):
        Review(v).reviewed("Mail Sorter")  # reading is allowed
        for act in (
            lambda r: r.approve("Mail Sorter"),
            lambda r: r.reject("Mail Sorter", ["no"]),
            lambda r: r.ask("Mail Sorter", "?"),
            lambda r: r.start("Mail Sorter"),
        ):
            with pytest.raises(Forbidden) as err:
                act(Review(v))
            assert err.value.code == "conflict_of_interest"
    with world.as_("dev@example.org") as (_s, projects, v):
        assert v.status(projects.get("Mail Sorter")).review_state == ReviewState.SUBMITTED
        assert projects.get("Mail Sorter").approved_scopes == []


def test_of_two_decisions_at_once_exactly_one_wins(world: World, seed: Seeder) -> None:  # VERIFY-7
    """The second reviewer decided on a request the first already decided: 409 and nothing changes
    (on SQLite the stale transaction may instead be refused by the database: nothing changes)."""
    from sqlalchemy.exc import OperationalError

    world.ready_project()
    seed.user("sam@example.org", role="reviewer")
    with world.as_("dev@example.org") as (_s, projects, v):
        p = projects.get("Mail Sorter")
        v.save(p, world.answers())
        v.submit(p)
    with world.as_("rita@example.org") as (_s, _projects, slow):
        Review(slow).reviewed("Mail Sorter")  # rita has read the request...
        with world.as_("sam@example.org") as (_s2, _projects2, fast):
            Review(fast).approve("Mail Sorter")  # ...sam approves and commits first
        with pytest.raises((Conflict, OperationalError)) as err:
            Review(slow).reject("Mail Sorter", ["Too late."])
        if isinstance(err.value, Conflict):
            assert err.value.code == "wrong_state"
    with world.as_("dev@example.org") as (_s, projects, v):
        assert v.status(projects.get("Mail Sorter")).review_state == ReviewState.APPROVED
    assert len(_mail_to(seed, "review:project:approve")) == 1
    assert _mail_to(seed, "review:project:reject") == []
