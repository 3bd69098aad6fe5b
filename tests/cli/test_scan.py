"""``consentry scan PATH`` through the real console script, as a developer's CI runs it (SCOPE-5).

No database: the scan reads only the source tree and the packaged catalogue. Under ``--json``
stdout must be exactly one JSON object, whatever the exit code.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.support.suite_env import without_consentry_settings

CONSENTRY = str(Path(sys.executable).with_name("consentry"))
APPS = Path(__file__).resolve().parents[1] / "fixtures" / "scan"
ISSUER = "http://cli.consentry.test"


def consentry(*args: str) -> subprocess.CompletedProcess[str]:
    env = without_consentry_settings()
    env.update(
        CONSENTRY_ISSUER=ISSUER, CONSENTRY_ENVIRONMENT="test", COLUMNS="200", NO_COLOR="1", TERM="dumb"
    )
    return subprocess.run(
        [CONSENTRY, *args], env=env, capture_output=True, text=True, timeout=120, check=False
    )


def as_json(proc: subprocess.CompletedProcess[str]) -> dict[str, Any]:
    data = json.loads(proc.stdout)  # any stray line on stdout fails here
    assert isinstance(data, dict), proc.stdout
    return data


def test_json_report_for_the_send_only_mail_app() -> None:  # SCOPE-5, SCOPE-3
    proc = consentry("scan", str(APPS / "python_mail_notifier"), "--json")
    assert proc.returncode == 0, proc.stderr
    report = as_json(proc)
    verification = "restricted scope review + security assessment"
    assert report == {
        "path": str(APPS / "python_mail_notifier"),
        "files_scanned": 1,
        "files_skipped": 2,
        "scopes": [
            {
                "scope": "mail",
                "uri": f"{ISSUER}/auth/mail",
                "class": "restricted",
                "verification": verification,
                "locations": [{"file": "app.py", "line": 20}],
                "narrower": ["mail.send"],
            },
            {
                "scope": "email",
                "uri": "email",
                "class": "non-sensitive",
                "verification": "none",
                "locations": [{"file": "app.py", "line": 19}],
                "narrower": [],
            },
            {
                "scope": "openid",
                "uri": "openid",
                "class": "non-sensitive",
                "verification": "none",
                "locations": [{"file": "app.py", "line": 18}],
                "narrower": [],
            },
        ],
        "operations": [
            {
                "operation": "mail.messages.send",
                "method": "POST",
                "path": "/data/v1/mail/messages/send",
                "locations": [{"file": "app.py", "line": 53}],
            }
        ],
        "advice": {
            "suggested": ["email", "openid", "mail.send"],
            "conditions": [],
            "summary": report["advice"]["summary"],
            "unneeded": [],
            "uncovered": [],
        },
        "highest_class": "restricted",
        "verification": verification,
    }
    assert report["advice"]["summary"].startswith(
        "asks email, mail, openid (restricted, 14 operations, 1400 risk points) "
        "but needs email, mail.send, openid (sensitive, 1 operation, 10 risk points)"
    )


def test_table_output_names_scopes_classes_locations_and_advice() -> None:  # SCOPE-5
    proc = consentry("scan", str(APPS / "node_file_backup"))
    assert proc.returncode == 0, proc.stderr
    rows = {line.split("│")[1].strip(): line for line in proc.stdout.splitlines() if line.count("│") >= 4}
    assert "restricted" in rows["files.readonly"] and "src/config.ts:4" in rows["files.readonly"]
    assert "files.file" in rows["files.readonly"]  # the narrower alternative
    assert "non-sensitive" in rows["openid"]
    assert "src/backup.ts:15" in rows["files.list"] and "GET /data/v1/files" in rows["files.list"]
    assert "4 files scanned, 1 skipped" in proc.stdout
    assert "Advice: asks files.readonly, openid" in proc.stdout
    assert "files.file sees only files the app created or the user picked for it" in proc.stdout
    assert (
        "Highest class: restricted -> verification: restricted scope review + security assessment"
        in proc.stdout
    )


@pytest.mark.parametrize(
    ("app", "threshold", "code"),
    [
        ("python_mail_notifier", "restricted", 1),  # full mail access
        ("go_chat_bot", "restricted", 1),  # chat.messages.create is restricted
        ("csharp_photo_picker", "restricted", 0),  # files.file is non-sensitive
        ("config_only_scheduler", "restricted", 0),
        ("config_only_scheduler", "sensitive", 1),  # calendar.freebusy
        ("csharp_photo_picker", "non-sensitive", 1),  # any scope at all
    ],
)
def test_fail_on_gates_ci(app: str, threshold: str, code: int) -> None:  # SCOPE-5
    proc = consentry("scan", str(APPS / app), "--fail-on", threshold, "--json")
    assert proc.returncode == code, proc.stderr
    assert as_json(proc)["scopes"]  # the report is printed before the exit code is set


def test_fail_on_explains_itself_without_json() -> None:  # SCOPE-5
    proc = consentry("scan", str(APPS / "python_mail_notifier"), "--fail-on", "restricted")
    assert proc.returncode == 1
    assert "fail: 1 scope(s) at or above restricted: mail" in proc.stderr


def test_bad_path_exits_2() -> None:  # SCOPE-5
    missing = str(APPS / "no-such-app")
    proc = consentry("scan", missing, "--json")
    assert proc.returncode == 2
    assert as_json(proc) == {"error": "invalid_path", "message": f"no such file or folder: {missing}"}
    proc = consentry("scan", missing)
    assert proc.returncode == 2 and "no such file or folder" in proc.stderr and proc.stdout == ""


def test_bad_threshold_is_a_usage_error() -> None:  # SCOPE-5
    proc = consentry("scan", str(APPS), "--fail-on", "secret")
    assert proc.returncode == 2 and "secret" in proc.stderr


def test_scan_is_listed_in_help() -> None:  # SCOPE-5
    proc = consentry("--help")
    assert proc.returncode == 0 and "scan" in proc.stdout
