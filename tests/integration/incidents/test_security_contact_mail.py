"""The security contact reads the report on a real SMTP server (aiosmtpd), at once (SEC-6).

# SEC-6: "reported promptly to the platform's security contact". The server's mail loop runs every
10 minutes here, so only the wake after the report's commit can deliver within the test's wait:
the mail arriving in seconds proves the report is not left to the next round.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from consentry.settings import Settings
from tests.conftest import ISSUER
from tests.integration.events.test_console_and_api import signed_in
from tests.integration.incidents.world import EDITOR, GOOD, OWNER, PAGE, World
from tests.support.databases import SECRET
from tests.support.smtp import SmtpServer, smtp_server

TEAM = "security-team@platform.example"


@pytest.fixture
def smtp() -> Iterator[SmtpServer]:
    with smtp_server() as server:
        yield server


@pytest.fixture
def settings(database_url: str, smtp: SmtpServer) -> Settings:
    return Settings(
        database_url=database_url,
        issuer=ISSUER,
        secret_key=SECRET,
        environment="test",
        janitor_interval=0,
        smtp_url=smtp.url(),
        mail_interval=600,
        mail_from="Consentry <consentry@platform.example>",
        security_contact=TEAM,
    )


def test_the_security_contact_gets_the_report_in_seconds(
    world: World, app: Any, smtp: SmtpServer
) -> None:  # SEC-6
    http, csrf = signed_in(app, EDITOR)
    with http:  # the app's lifespan runs its mail loop
        page = http.get(PAGE)
        assert f"<code>{TEAM}</code>" in page.text
        r = http.post(PAGE, data={"csrf": csrf, **GOOD}, follow_redirects=False)
        assert r.status_code == 303
        received = smtp.wait_for(2, timeout=15)

    by_rcpt = {tuple(sorted(m.rcpt_tos)): m for m in received}
    report = by_rcpt[(TEAM,)].message
    assert (
        report["Subject"].startswith("[Consentry security] Incident #")
        and "Mail Sorter App" in report["Subject"]
    )
    assert report["From"] == "Consentry <consentry@platform.example>"
    body = report.get_content().replace("\r\n", "\n")
    assert GOOD["summary"] in body and GOOD["containment"] in body and "Certainty:      confirmed" in body
    assert "/review/incidents/" in body

    [copy] = [m for rcpts, m in by_rcpt.items() if OWNER in rcpts]
    assert EDITOR in copy.rcpt_tos and TEAM not in copy.rcpt_tos
    text = copy.message.get_content().replace("\r\n", "\n")
    assert f"reached the platform's\nsecurity contact, {TEAM}." in text
    assert "make no public statement about this incident" in text
