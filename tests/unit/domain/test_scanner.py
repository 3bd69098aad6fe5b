"""The least-privilege source scanner (SCOPE-5: find the scopes code requests and the
verification they need; SCOPE-3: the narrowest scopes for the operations it calls).

The sample apps under ``tests/fixtures/scan/`` are small but realistic programs in seven
languages plus a config-only one; every expected finding is written out below as
``file:line``. ``node_modules/``, ``.venv/``, ``build/``, ``dist/`` and ``.git/`` are
git-ignored (or not committable), so the decoys inside them are added to a copy at run time.
"""

from __future__ import annotations

import os
import re
import shutil
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from consentry.domain.scopes.catalogue import Catalogue
from consentry.domain.scopes.scanner import build_report, scan
from consentry.domain.scopes.scanner.operations import operations_in
from consentry.domain.scopes.scanner.patterns import Vocabulary
from consentry.domain.scopes.scanner.report import at_or_above, narrower
from consentry.domain.scopes.scanner.scopes import scopes_in
from consentry.domain.scopes.scanner.walk import MAX_BYTES, SKIP_DIRS, discover

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "scan"
CATALOGUE = Catalogue("https://id.acme.test")
VOCAB = Vocabulary.from_catalogue(CATALOGUE)
# Decoys that must never be found: scope strings inside folders the walk skips.
DECOYS = {
    "node_file_backup/node_modules/oauth-helper/index.js": 'exports.SCOPES = ["openid", "https://id.acme.test/auth/mail"];\n',
    "node_file_backup/dist/config.js": 'export const SCOPES = "openid https://id.acme.test/auth/files";\n',
    "python_mail_notifier/.venv/lib/python3.11/site-packages/x/s.py": 'SCOPES = ["https://id.acme.test/auth/mail.modify"]\n',
    "python_mail_notifier/build/lib/app.py": 'SCOPES = ["openid", "https://id.acme.test/auth/mail.readonly"]\n',
    "go_chat_bot/.git/hooks/scopes.go": 'var s = "https://id.acme.test/auth/chat.messages"\n',
}


@dataclass
class App:
    scanned: int
    skipped: int
    scopes: dict[str, list[str]]
    operations: dict[str, list[str]]
    suggested: list[str]
    narrower: dict[str, list[str]] = field(default_factory=dict)


APPS = {
    # Send-only mail app asking full mailbox access: the advisor must say mail.send (SCOPE-3).
    "python_mail_notifier": App(
        scanned=1,
        skipped=2,
        scopes={"mail": ["app.py:20"], "email": ["app.py:19"], "openid": ["app.py:18"]},
        operations={"mail.messages.send": ["app.py:53"]},
        suggested=["email", "openid", "mail.send"],
        narrower={"mail": ["mail.send"]},
    ),
    "node_file_backup": App(
        scanned=4,
        skipped=1,  # assets/logo.png
        scopes={"files.readonly": ["src/config.ts:4"], "openid": ["src/config.ts:4"]},
        operations={"files.content": ["src/backup.ts:22"], "files.list": ["src/backup.ts:15"]},
        suggested=["openid", "files.file"],
        narrower={"files.readonly": ["files.file"]},
    ),
    "java_calendar_sync": App(
        scanned=4,
        skipped=1,  # mobile/AndroidManifest.xml is compiled (binary) XML
        scopes={
            "calendar": ["src/main/resources/application.properties:3"],
            "openid": ["src/main/resources/application.properties:3"],
            "profile": ["src/main/resources/application.properties:3"],
        },
        operations={
            "calendar.events.create": ["src/main/java/com/acme/calsync/CalendarClient.java:29"],
            "calendar.events.delete": ["src/main/java/com/acme/calsync/CalendarClient.java:34"],
            "calendar.events.list": ["src/main/java/com/acme/calsync/CalendarClient.java:23"],
        },
        suggested=["openid", "profile", "calendar.events"],
        narrower={"calendar": ["calendar.events"]},
    ),
    "go_chat_bot": App(
        scanned=2,
        skipped=1,  # go.mod
        scopes={
            "chat.messages.create": ["main.go:23"],
            "chat.spaces.readonly": ["main.go:22"],
            "openid": ["main.go:21"],
        },
        operations={
            "chat.messages.create": ["internal/chat/client.go:40"],
            "chat.spaces.list": ["internal/chat/client.go:28"],
        },
        suggested=["openid", "chat.messages.create", "chat.spaces.readonly"],
    ),
    "ruby_meeting_recorder": App(
        scanned=3,
        skipped=1,  # Gemfile
        scopes={
            "meetings.media.readonly": ["app.rb:14"],
            "meetings.space.readonly": ["app.rb:13"],
            "email": ["app.rb:13"],
            "openid": ["app.rb:13"],
        },
        operations={
            "meetings.media.stream": ["lib/recorder.rb:15"],
            "meetings.participants.list": ["lib/recorder.rb:14"],
        },
        suggested=["email", "openid", "meetings.media.readonly", "meetings.space.readonly"],
    ),
    "php_crm_importer": App(
        scanned=4,
        skipped=0,
        scopes={
            "mail.metadata": ["src/Auth.php:20"],
            "email": ["src/Auth.php:20"],
            "openid": ["src/Auth.php:20"],
        },
        operations={
            "mail.labels.list": ["src/MailHeaders.php:40"],
            "mail.messages.list": ["src/MailHeaders.php:26"],
            "mail.messages.metadata": ["src/MailHeaders.php:31"],
        },
        suggested=["email", "openid", "mail.metadata"],
    ),
    "csharp_photo_picker": App(
        scanned=3,
        skipped=1,  # PhotoPicker.csproj
        scopes={
            "files.file": ["Program.cs:24", "appsettings.json:6"],
            "openid": ["Program.cs:21", "appsettings.json:6"],
            "profile": ["Program.cs:22", "appsettings.json:6"],
        },
        operations={
            "files.content": ["Services/AlbumService.cs:20"],
            "files.create": ["Services/AlbumService.cs:14"],
            "files.update": ["Services/AlbumService.cs:24"],
        },
        suggested=["openid", "profile", "files.file"],
    ),
    "config_only_scheduler": App(
        scanned=6,
        skipped=1,  # README.md
        scopes={
            "calendar.freebusy": [
                ".env:4",
                ".env.example:4",
                "android/res/values/strings.xml:4",
                "deploy/helm/values.yaml:10",
            ],
            "email": [".env:4", "deploy/legacy.ini:3", "deploy/scheduler.toml:3"],
            "openid": [
                ".env:4",
                ".env.example:4",
                "android/res/values/strings.xml:4",
                "deploy/helm/values.yaml:8",
                "deploy/legacy.ini:3",
                "deploy/scheduler.toml:3",
            ],
            "profile": ["deploy/helm/values.yaml:9"],
        },
        operations={"calendar.freebusy.query": [".env:5"]},
        suggested=["email", "openid", "profile", "calendar.freebusy"],
    ),
}


@pytest.fixture(scope="module")
def apps(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of the sample apps with the git-ignored decoy folders added."""
    root = tmp_path_factory.mktemp("scan") / "apps"
    shutil.copytree(FIXTURES, root)
    for rel, text in DECOYS.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(text)
    return root


def _where(found: list[dict]) -> list[str]:
    return [f"{loc['file']}:{loc['line']}" for loc in found]


@pytest.mark.parametrize("name", sorted(APPS))
def test_sample_apps_exact_findings(apps: Path, name: str) -> None:  # SCOPE-5, SCOPE-3
    want = APPS[name]
    report = build_report(scan(str(apps / name), CATALOGUE, workers=1), CATALOGUE)
    assert {s["scope"]: _where(s["locations"]) for s in report["scopes"]} == want.scopes
    assert {o["operation"]: _where(o["locations"]) for o in report["operations"]} == want.operations
    assert (report["files_scanned"], report["files_skipped"]) == (want.scanned, want.skipped)
    assert report["advice"]["suggested"] == want.suggested
    assert {s["scope"]: s["narrower"] for s in report["scopes"] if s["narrower"]} == want.narrower
    for s in report["scopes"]:
        info = CATALOGUE.by_name[s["scope"]]
        assert (s["class"], s["verification"], s["uri"]) == (info.scope_class, info.verification, info.uri)


def test_mail_app_report_says_why_and_what_verification() -> None:  # SCOPE-3, SCOPE-5
    report = build_report(scan(str(FIXTURES / "python_mail_notifier"), CATALOGUE), CATALOGUE)
    assert report["highest_class"] == "restricted"
    assert report["verification"] == "restricted scope review + security assessment"
    assert report["advice"]["summary"].startswith("asks email, mail, openid (restricted, 14 operations")
    assert (
        "verification 'restricted scope review + security assessment' -> 'sensitive scope review'"
        in (report["advice"]["summary"])
    )
    assert report["operations"] == [
        {
            "operation": "mail.messages.send",
            "method": "POST",
            "path": "/data/v1/mail/messages/send",
            "locations": [{"file": "app.py", "line": 53}],
        }
    ]


def test_decoy_folders_are_never_entered(apps: Path) -> None:  # SCOPE-5
    report = build_report(scan(str(apps), CATALOGUE), CATALOGUE)
    found = {loc["file"] for s in report["scopes"] + report["operations"] for loc in s["locations"]}
    expected = {
        f"{name}/{where.split(':')[0]}"
        for name, app in APPS.items()
        for places in [*app.scopes.values(), *app.operations.values()]
        for where in places
    }
    assert found == expected  # nothing from node_modules/, dist/, .venv/, build/, .git/, vendor/, target/
    assert report["files_scanned"] == sum(a.scanned for a in APPS.values())
    assert report["files_skipped"] == sum(a.skipped for a in APPS.values())


def scopes(ext: str, source: str) -> set[tuple[str, int]]:
    return scopes_in(source.split("\n"), ext, VOCAB)


def ops(ext: str, source: str) -> set[tuple[str, int]]:
    return operations_in(source.split("\n"), ext, VOCAB)


SCOPE_CASES = [
    # (extension, source, expected (scope, line) pairs)
    (
        ".py",
        'SCOPES = ["openid", "https://id.acme.test/auth/mail.readonly"]',
        {("openid", 1), ("mail.readonly", 1)},
    ),
    (".py", 'scope = " ".join(["openid", f"{ISSUER}/auth/files"])', {("openid", 1), ("files", 1)}),
    (".js", 'const scope = "openid email profile";', {("openid", 1), ("email", 1), ("profile", 1)}),
    (".ts", "const s = [`${issuer}/auth/calendar.readonly`];", {("calendar.readonly", 1)}),
    (".java", '.scope("openid", "email")', {("openid", 1), ("email", 1)}),
    (".kt", 'val s = listOf("files.file")', {("files.file", 1)}),
    (".go", 'Scopes: []string{\n\t"openid",\n\t"profile",\n},', {("openid", 2), ("profile", 3)}),
    (
        ".rb",
        "SCOPES = %w[openid email https://id.acme.test/auth/mail.send]",
        {("openid", 1), ("email", 1), ("mail.send", 1)},
    ),
    (".php", "'scope' => 'openid ' . $iss . '/auth/chat.spaces'", {("openid", 1), ("chat.spaces", 1)}),
    (".cs", 'o.Scope.Add("email");', {("email", 1)}),
    (
        ".env",
        "SCOPES=openid email https://id.acme.test/auth/mail.send",
        {("openid", 1), ("email", 1), ("mail.send", 1)},
    ),
    (".properties", "app.oauth.scope=openid,profile", {("openid", 1), ("profile", 1)}),
    (".yaml", "oauth:\n  scopes: [openid, email]\n", {("openid", 2), ("email", 2)}),
    (".yaml", "scopes:\n- openid\n- email\nother:\n- email\n", {("openid", 2), ("email", 3)}),
    (".json", '{"scopes": ["openid", "email"], "login_hint": "email"}', {("openid", 1), ("email", 1)}),
    (
        ".xml",
        '<string name="scopes">openid https://h.test/auth/meetings.space.created</string>',
        {("openid", 1), ("meetings.space.created", 1)},
    ),
    (".py", 'SCOPE = "openid email offline_access"', {("openid", 1), ("email", 1)}),  # mostly scopes
    (
        ".py",
        'SCOPES = ["openid", "email",  # comment\n  "profile"]',
        {("openid", 1), ("email", 1), ("profile", 2)},
    ),
    (
        ".py",
        'ISSUER = "https://auth.acme.test/consentry"\nS = "https://auth.acme.test/consentry/auth/mail"',
        {("mail", 2)},
    ),
    (".py", 'url = "%s/auth/mail.labels" % issuer', {("mail.labels", 1)}),
    (".py", 'scopes = [\n  "openid",\n  "email"\n]\nx = d["email"]', {("openid", 2), ("email", 3)}),
]
DECOY_CASES = [
    (".py", "# ask for the user's email and https://id.acme.test/auth/mail.readonly later"),
    (".html", '<input type="email" name="email">'),
    (".tsx", '<input type="email" name="email" placeholder="Email" />'),
    (".py", 'folder = "mail"\nkind = "files"\ncal = "calendar"'),
    (".py", 'DOCS = "https://example.com/authentication/mail"'),
    (".py", 'CALLBACK = "https://app.acme.test/auth/mail/callback"'),
    (".py", 'X = "https://id.acme.test/auth/mail.readonlyx"'),
    (".py", 'ROUTE = "https://app.acme.test/auth/profile"'),  # sign-in scopes are never URIs
    (".py", 'ROUTE = f"{BASE}/auth/files"'),  # built URI, undotted, no scope context
    (".js", 'const openid = require("openid");'),
    (".py", 'user_email = request.form["email"]\nprofile = load("profile")'),
    (".py", 'SCOPE_HELP = "We read your email and profile"'),  # prose, not a scope string
    (".py", "def scope_for(user) {\n    return user['email']\n}"),  # a function body is no scope list
    (".ini", "; scope = openid\n[report]\nformat = email"),
    (".env", "# SCOPES=openid https://id.acme.test/auth/mail\nCONTACT_EMAIL=rooms@acme.test"),
    (".yaml", "notify:\n  channel: email\n  to:\n    - profile\n"),
    (".java", '/* scope: "openid" */\n * "email" scope'),
]


@pytest.mark.parametrize(("ext", "source", "expected"), SCOPE_CASES)
def test_scope_detectors_per_language(ext: str, source: str, expected: set) -> None:  # SCOPE-5
    assert scopes(ext, source) == expected


@pytest.mark.parametrize(("ext", "source"), DECOY_CASES)
def test_scope_decoys_are_not_found(ext: str, source: str) -> None:  # SCOPE-5
    assert scopes(ext, source) == set()


OPERATION_CASES = [
    # No method visible: the most literal template wins, then GET.
    (".py", 'URL = "https://id.acme.test/data/v1/files"', "files.list"),
    (".py", 'SEND = "https://id.acme.test/data/v1/mail/messages/send"', "mail.messages.send"),
    (".py", 'requests.post(f"{API}/data/v1/files", data=b)', "files.create"),
    (".py", 'resp = requests.post(\n    f"{API}/data/v1/files",\n    json=meta,\n)', "files.create"),
    (".py", 'API = f"{ISSUER}/data/v1"\nsession.delete(f"{API}/files/{file_id}")', "files.delete"),
    (".py", 'url = API + "/data/v1/files/%s" % fid\nr = session.patch(url, json=m)', "files.update"),
    (".js", 'await fetch(`${API}/data/v1/files/${id}`, {\n  method: "DELETE",\n});', "files.delete"),
    (".js", "axios.post(`${base}/data/v1/mail/drafts`, draft)", "mail.drafts.create"),
    # The next statement uses the response but POSTs elsewhere: that POST is not this call's.
    (
        ".ts",
        'const res = await fetch(`${API}/data/v1/files`);\nawait fetch("https://b.test/x", { method: "POST", body: res.body });',
        "files.list",
    ),
    (
        ".js",
        'app.post("/sync", async (req, res) => {\n  const r = await fetch(`${API}/data/v1/files`);',
        "files.list",
    ),
    (
        ".java",
        'HttpRequest r = HttpRequest.newBuilder(URI.create(api + "/data/v1/files"))\n    .POST(body)\n    .build();',
        "files.create",
    ),
    (
        ".java",
        'rest.exchange(api + "/data/v1/files/" + id, HttpMethod.PATCH, e, Void.class);',
        "files.update",
    ),
    (".java", 'rest.delete(api + "/data/v1/calendar/events/" + id);', "calendar.events.delete"),
    (
        ".kt",
        'client.newCall(Request.Builder().url("$api/data/v1/chat/spaces").post(body).build())',
        "chat.spaces.create",
    ),
    (
        ".go",
        'req, _ := http.NewRequest(http.MethodDelete,\n\tbase+"/data/v1/chat/spaces/"+sp+"/messages/"+m, nil)',
        "chat.messages.delete",
    ),
    (
        ".go",
        'resp, err := http.Post(base+"/data/v1/calendar/events", "application/json", b)',
        "calendar.events.create",
    ),
    (".rb", 'uri = URI("#{API}/data/v1/mail/labels")\nreq = Net::HTTP::Post.new(uri)', "mail.labels.create"),
    (".rb", 'conn.post "/data/v1/meetings/spaces"', "meetings.spaces.create"),
    (".php", "$http->request('PATCH', '/data/v1/mail/settings', ['json' => $s]);", "mail.settings.update"),
    (
        ".php",
        "curl_setopt($ch, CURLOPT_URL, $base . '/data/v1/mail/settings/forwarding');\ncurl_setopt($ch, CURLOPT_POST, true);",
        "mail.forwarding.create",
    ),
    (".php", '$r = Http::post("{$api}/data/v1/files/{$id}/permissions", $share);', "files.share"),
    (".cs", 'await http.DeleteAsync($"{api}/data/v1/calendar/events/{id}");', "calendar.events.delete"),
    (
        ".cs",
        'new HttpRequestMessage(HttpMethod.Post, $"{api}/data/v1/mail/messages/{id}/modify")',
        "mail.messages.modify",
    ),
    (".py", 'r = httpx.get(f"{API}/data/v1/mail/messages/{mid}/metadata")', "mail.messages.metadata"),
    (".js", "router.get('/data/v1/chat/spaces/:spaceId/members', h)", "chat.members.list"),
    (
        ".py",
        'u = "{}/data/v1/meetings/spaces/{}/participants".format(api, sid)',
        "meetings.participants.list",
    ),
]


@pytest.mark.parametrize(("ext", "source", "expected"), OPERATION_CASES)
def test_operation_and_method_detection(ext: str, source: str, expected: str) -> None:  # SCOPE-3
    found = ops(ext, source)
    assert {name for name, _ in found} == {expected}, found


def test_operations_need_a_data_api_path() -> None:  # SCOPE-3
    assert ops(".py", 'requests.get(f"{BASE}/files")') == set()  # no /data/v1 in the file
    assert ops(".py", 'x = "/data/v1/unknown/thing"\ny = "/data/v1/files/a/b/c"') == set()
    assert ops(".py", '# requests.delete("/data/v1/files/1")') == set()  # commented out


def test_the_catalogue_yaml_scans_to_every_operation_on_its_own_line() -> None:  # SCOPE-3
    """Each operation line in catalogue.yaml names method and path: the detector must agree."""
    path = Path(__file__).resolve().parents[3] / "src/consentry/domain/scopes/catalogue.yaml"
    lines = path.read_text().split("\n")
    expected = {
        (m.group(1), i) for i, line in enumerate(lines, 1) if (m := re.match(r"  ([a-z.]+): \{method", line))
    }
    assert len(expected) == len(CATALOGUE.operations)
    assert operations_in(lines, ".yaml", VOCAB) == expected


def test_walk_skip_rules(tmp_path: Path) -> None:  # SCOPE-5
    scope = 'S = "https://id.acme.test/auth/mail"\n'
    for folder in SKIP_DIRS:
        (tmp_path / "app" / folder).mkdir(parents=True)
        (tmp_path / "app" / folder / "x.py").write_text(scope)
    (tmp_path / "app" / "src").mkdir()
    (tmp_path / "app" / "src" / "ok.py").write_text(scope)
    (tmp_path / "app" / ".env").write_text("SCOPES=openid\n")
    (tmp_path / "app" / ".env.production").write_text("SCOPES=openid\n")
    (tmp_path / "app" / "README.md").write_text(scope)
    (tmp_path / "app" / "blob.json").write_bytes(b'{"a": "\x00"} openid')
    (tmp_path / "app" / "huge.json").write_bytes(b'{"scope": "openid"}' + b" " * MAX_BYTES)
    (tmp_path / "app" / "Makefile").write_text("run:\n\tpython app.py\n")
    (tmp_path / "outside").mkdir()
    (tmp_path / "outside" / "leak.py").write_text(scope)
    os.symlink(tmp_path / "outside", tmp_path / "app" / "linked")

    files, skipped = discover(str(tmp_path / "app"))
    assert files == [".env", ".env.production", "blob.json", "huge.json", "src/ok.py"]
    assert skipped == 3  # README.md, Makefile, the symlinked folder (not followed)
    result = scan(str(tmp_path / "app"), CATALOGUE)
    assert (result.tally.scanned, result.tally.skipped) == (3, 5)  # + binary blob.json, huge.json
    assert {k: [str(loc) for loc in v] for k, v in result.scopes.items()} == {
        "mail": ["src/ok.py:1"],
        "openid": [".env:1", ".env.production:1"],
    }


def test_a_single_file_can_be_scanned() -> None:  # SCOPE-5
    result = scan(str(FIXTURES / "node_file_backup/src/config.ts"), CATALOGUE)
    assert {k: [str(loc) for loc in v] for k, v in result.scopes.items()} == {
        "files.readonly": ["config.ts:4"],
        "openid": ["config.ts:4"],
    }
    assert (result.tally.scanned, result.tally.skipped) == (1, 0)


def test_parallel_scan_equals_serial_scan(apps: Path, tmp_path: Path) -> None:  # SCOPE-5
    tree = tmp_path / "tree"
    shutil.copytree(apps, tree / "apps")
    for i in range(300):  # filler so that there are many chunks
        (tree / "filler" / f"d{i % 7}").mkdir(parents=True, exist_ok=True)
        (tree / "filler" / f"d{i % 7}" / f"m{i}.py").write_text(f"def f{i}():\n    return {i}\n")
    (tree / "filler" / "d3" / "late.go").write_text('var s = []string{"openid", base + "/auth/mail.send"}\n')
    seen: list[int] = []
    totals: list[int] = []
    serial = scan(str(tree), CATALOGUE, workers=1, chunk=11)
    parallel = scan(
        str(tree), CATALOGUE, workers=2, chunk=11, progress=seen.append, on_discovered=totals.append
    )
    assert serial.scopes and serial.operations
    assert (parallel.scopes, parallel.operations, parallel.tally) == (
        serial.scopes,
        serial.operations,
        serial.tally,
    )
    assert [str(loc) for loc in parallel.scopes["mail.send"]] == ["filler/d3/late.go:1"]
    assert totals == [len(discover(str(tree))[0])] and sum(seen) == totals[0]  # the progress bar's numbers


def test_narrower_and_fail_on_threshold() -> None:  # SCOPE-3, SCOPE-5
    info = CATALOGUE.by_name
    assert narrower(CATALOGUE, info["mail"], {"mail.messages.send"}) == ["mail.send"]
    assert narrower(CATALOGUE, info["mail.send"], {"mail.messages.send"}) == []
    # Nothing of the scope is used: the catalogue's narrower alternatives.
    assert narrower(CATALOGUE, info["calendar"], set()) == [
        "calendar.freebusy",
        "calendar.events.readonly",
        "calendar.readonly",
        "calendar.events",
    ]
    found = [info["openid"], info["calendar"], info["mail.send"]]
    assert [s.name for s in at_or_above(found, "restricted")] == []
    assert [s.name for s in at_or_above(found, "sensitive")] == ["calendar", "mail.send"]
    assert len(at_or_above(found, "non-sensitive")) == 3
