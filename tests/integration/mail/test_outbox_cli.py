"""``consentry outbox list`` and ``consentry outbox send`` against a real database and SMTP server.

# ISSUE-11 mail: operators see what waits and why, and can deliver what is due now. Every command
takes ``--json`` and then prints exactly one JSON object (``json.loads`` of all of stdout); bad
arguments exit 2, a server-side failure (the SMTP server down) exits 1.

The commands are invoked through ``outbox_app`` itself, in process, with the environment an operator
would set, until ``consentry outbox`` is registered in ``cli/main.py``.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from typing import Any

import pytest
from typer.testing import CliRunner

from consentry.cli.outbox import outbox_app
from consentry.domain.mail.outbox import enqueue
from consentry.storage.db import Database
from tests.support.databases import SECRET
from tests.support.smtp import SmtpServer, smtp_server
from tests.support.suite_env import SUITE

ISSUER = "https://auth.example.com"


@pytest.fixture
def server() -> Iterator[SmtpServer]:
    with smtp_server() as running:
        yield running


@pytest.fixture
def operator_env(database_url: str, monkeypatch: pytest.MonkeyPatch) -> str:
    for name in [n for n in os.environ if n.startswith("CONSENTRY_")]:
        monkeypatch.delenv(name)
    for name, value in SUITE.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("CONSENTRY_DATABASE_URL", database_url)
    monkeypatch.setenv("CONSENTRY_ISSUER", ISSUER)
    monkeypatch.setenv("CONSENTRY_SECRET_KEY", SECRET)
    monkeypatch.setenv("CONSENTRY_ENVIRONMENT", "test")
    monkeypatch.setenv("COLUMNS", "200")
    return database_url


def run(*args: str, smtp_url: str | None = None) -> tuple[int, str]:
    env = {"CONSENTRY_SMTP_URL": smtp_url} if smtp_url else {}
    result = CliRunner().invoke(outbox_app, list(args), env=env)
    return result.exit_code, result.stdout


def run_json(*args: str, smtp_url: str | None = None) -> tuple[int, dict[str, Any]]:
    code, stdout = run(*args, "--json", smtp_url=smtp_url)
    data = json.loads(stdout)  # anything but one JSON object fails here
    assert isinstance(data, dict)
    return code, data


def queue(database_url: str, *recipients: str) -> list[str]:
    db = Database(database_url)
    try:
        with db.unit_of_work() as session:
            return [
                enqueue(
                    session, [to], f"Mail to {to}", "secret link", reason="test:cli", issuer=ISSUER
                ).message_id
                for to in recipients
            ]
    finally:
        db.dispose()


def test_list_an_empty_outbox(operator_env: str) -> None:  # ISSUE-11 mail
    code, out = run_json("list")
    assert code == 0
    assert out == {"state": "all", "counts": {"pending": 0, "sent": 0, "failed": 0}, "mails": []}


def test_send_then_list_by_state(operator_env: str, server: SmtpServer) -> None:  # ISSUE-11 mail
    server.rcpt_replies["nobody@example.com"] = "550 5.1.1 no such user"
    sent_id, refused_id = queue(operator_env, "dana@example.com", "nobody@example.com")

    code, report = run_json("send", smtp_url=server.url())
    assert code == 0
    assert (report["sent"], report["failed"], report["gave_up"], report["remaining"]) == (1, 1, 0, 1)
    assert report["smtp"] == server.url(starttls="opportunistic") and "error" not in report
    assert report["failures"] == [
        {
            "message_id": refused_id,
            "error": "all recipients refused: nobody@example.com: 550 5.1.1 no such user",
        }
    ]
    assert [m.message_id for m in server.received] == [sent_id]

    code, pending = run_json("list", "--pending")
    assert code == 0 and pending["counts"] == {"pending": 1, "sent": 1, "failed": 0}
    [mail] = pending["mails"]
    assert (mail["message_id"], mail["state"], mail["attempts"]) == (refused_id, "pending", 1)
    assert (
        mail["last_error"].startswith("all recipients refused")
        and mail["next_attempt_at"] > mail["created_at"]
    )
    assert "body" not in mail  # a body may carry a link meant for its recipient only

    code, sent = run_json("list", "--sent", "--limit", "5")
    assert [(m["message_id"], m["state"], m["recipients"]) for m in sent["mails"]] == [
        (sent_id, "sent", ["dana@example.com"])
    ]
    code, everything = run_json("list", "--limit", "1")
    assert [m["message_id"] for m in everything["mails"]] == [refused_id]  # newest first

    code, again = run_json("send", smtp_url=server.url())  # the refused one is backing off
    assert code == 0 and (again["claimed"], again["sent"]) == (0, 0)
    assert server.count(sent_id) == 1


def test_send_while_the_server_is_down_exits_1_and_keeps_the_mail(operator_env: str) -> None:  # ISSUE-11 mail
    ids = queue(operator_env, "dana@example.com", "lee@example.org")
    with smtp_server(started=False) as down:
        code, out = run_json("send", smtp_url=down.url())
    assert code == 1
    assert out["error"] == "smtp_error" and out["message"].startswith("cannot connect to 127.0.0.1")
    assert (out["sent"], out["failed"], out["remaining"]) == (0, 2, 2)
    code, listed = run_json("list", "--pending")
    assert sorted(m["message_id"] for m in listed["mails"]) == sorted(ids)
    assert all(m["attempts"] == 1 for m in listed["mails"])


@pytest.mark.parametrize(
    "args",
    [
        ("list", "--pending", "--sent"),
        ("list", "--sent", "--failed"),
        ("list", "--limit", "0"),
        ("list", "--limit", "1001"),
    ],
)
def test_bad_arguments_exit_2(operator_env: str, args: tuple[str, ...]) -> None:  # ISSUE-11 mail
    code, out = run_json(*args)
    assert code == 2 and out["error"] == "invalid_argument"


def test_bad_mail_settings_are_named(operator_env: str, monkeypatch: pytest.MonkeyPatch) -> None:
    # ISSUE-11 mail: a clear error, exit 2 (the operator's input)
    code, out = run_json("send", smtp_url="http://mail.example.com")
    assert code == 2 and out["error"] == "invalid_settings"
    assert "CONSENTRY_SMTP_URL: unsupported scheme 'http'" in out["message"]
    monkeypatch.setenv("CONSENTRY_MAIL_FROM", "not an address")
    code, out = run_json("send", smtp_url="smtp://127.0.0.1:25")
    assert code == 2 and out["error"] == "invalid_settings" and "not a mail address" in out["message"]


def test_human_output(operator_env: str, server: SmtpServer) -> None:  # ISSUE-11 mail: without --json
    queue(operator_env, "dana@example.com")
    code, text = run("send", smtp_url=server.url())
    assert code == 0 and "sent 1, failed 0" in text and "0 still to deliver" in text
    code, text = run("list")
    assert code == 0 and " sent " in text and "0 pending, 1 sent, 0 failed" in text
