"""``/review/deletions/overdue``: deletion requests an app left unacknowledged, for reviewers.

# DATA-2: a request not acknowledged within CONSENTRY_DELETION_OVERDUE_DAYS is flagged to the
reviewers with what they need to follow up; developers cannot open the page.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import update

from consentry.domain.events import deletion
from consentry.storage.tables import SecurityEvent
from consentry.storage.tables.base import now
from tests.conftest import ISSUER
from tests.integration.events.helpers import BOB, World, set_endpoint_row
from tests.integration.events.test_console_and_api import HTML, signed_in

PAGE = "/review/deletions/overdue"


def test_reviewers_see_overdue_requests_and_developers_do_not(world: World, app: Any) -> None:  # DATA-2
    seed = world.seed
    seed.user("rita@example.com", password="correct-horse-battery", role="reviewer")
    seed.user("dev@example.com", password="correct-horse-battery")
    set_endpoint_row(seed.db, world.project_id, "https://app.example.com/events")
    with seed.db.unit_of_work() as s:
        deletion.request_deletion(s, user_id=world.bob_id, project_id=world.project_id, issuer=ISSUER)

    http, _csrf = signed_in(app, "rita@example.com")
    with http:
        fresh = http.get(PAGE)
        assert fresh.status_code == 200
        assert 'id="no-overdue"' in fresh.text and "1 request in all is still unacknowledged" in fresh.text

        with seed.db.unit_of_work() as s:
            s.execute(
                update(SecurityEvent).values(
                    created_at=now() - 45 * 86_400, attempts=12, last_error="HTTP 503"
                )
            )
        page = http.get(PAGE)
        assert page.status_code == 200
        assert 'data-project="Mail Sorter" data-status="pending"' in page.text
        assert BOB in page.text and world.bob_sub in page.text
        assert 'data-days="45"' in page.text and "HTTP 503" in page.text
        assert "12 attempts to <code>https://app.example.com/events</code>" in page.text
        assert "within 30 days" in page.text
        assert http.get("/review/deletions").status_code == 404  # it is no project's review page

    dev, _ = signed_in(app, "dev@example.com")
    with dev:
        r = dev.get(PAGE, headers=HTML)
        assert r.status_code == 403 and BOB not in r.text
