"""Benchmark ``consentry scan`` on a generated 100k-file tree (SCOPE-5: "a 100k-file tree in seconds").

The tree looks like a large monorepo: services in Python, TypeScript, Java, Go, Ruby, PHP and
C#, with config files, docs and images alongside, a ``node_modules`` and a ``.git`` the walk
must skip, and about 1% of source files that request scopes or call the data APIs. Files are
1-6 KiB of plausible code, so reading them costs what it costs in a real checkout.

    .venv/bin/python bench/scan/bench_scan.py [--files 100000] [--keep DIR] [--workers N]

Prints one line: files in the tree, files scanned, seconds, files/s, for the library call
and for the ``consentry scan --json`` console script (process start-up included).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from consentry.domain.scopes.catalogue import Catalogue
from consentry.domain.scopes.scanner import build_report, scan

ISSUER = "https://id.acme.test"
BODY = {
    ".py": "def {n}(items, limit=10):\n    out = []\n    for i, item in enumerate(items):\n"
    "        if i >= limit:\n            break\n        out.append(item.get('{n}'))\n    return out\n\n",
    ".ts": "export function {n}(items: string[], limit = 10): string[] {{\n"
    "  return items.slice(0, limit).map((x) => x.trim() + '{n}');\n}}\n\n",
    ".java": "    public List<String> {n}(List<String> items) {{\n"
    '        return items.stream().filter(s -> !s.isEmpty()).map(s -> s + "{n}").toList();\n    }}\n\n',
    ".go": "func {n}(items []string) []string {{\n\tout := make([]string, 0, len(items))\n"
    '\tfor _, s := range items {{\n\t\tout = append(out, s+"{n}")\n\t}}\n\treturn out\n}}\n\n',
    ".rb": '  def {n}(items)\n    items.reject(&:empty?).map {{ |s| "#{{s}}{n}" }}\n  end\n\n',
    ".php": "    public function {n}(array $items): array\n    {{\n"
    "        return array_map(fn ($s) => $s . '{n}', $items);\n    }}\n\n",
    ".cs": "    public IEnumerable<string> {n}(IEnumerable<string> items) =>\n"
    '        items.Where(s => s.Length > 0).Select(s => s + "{n}");\n\n',
    ".json": '  "{n}": {{"enabled": true, "retries": 3, "timeout_ms": 2500}},\n',
    ".yaml": "{n}:\n  enabled: true\n  retries: 3\n  timeout_ms: 2500\n",
}
# What the 1% of "interesting" files add, per language (scopes and data-API calls).
USAGE = {
    ".py": 'SCOPES = ["openid", "email", f"{{ISSUER}}/auth/mail.send"]\n'
    'resp = requests.post(f"{{ISSUER}}/data/v1/mail/messages/send", json=msg)\n',
    ".ts": 'const SCOPES = ["openid", `${{ISSUER}}/auth/files.readonly`];\n'
    "const res = await fetch(`${{ISSUER}}/data/v1/files/${{id}}/content`);\n",
    ".java": '    String scope = "openid https://id.acme.test/auth/calendar.events";\n'
    '    rest.postForObject(api + "/data/v1/calendar/events", e, Event.class);\n',
    ".go": '\tScopes: []string{{"openid", issuer + "/auth/chat.messages.create"}},\n'
    '\treq, _ := http.NewRequest(http.MethodPost, base+"/data/v1/chat/spaces/"+id+"/messages", b)\n',
    ".rb": "  SCOPES = %w[openid email https://id.acme.test/auth/meetings.media.readonly].freeze\n",
    ".php": "    $scopes = ['openid', 'https://id.acme.test/auth/mail.metadata'];\n",
    ".cs": '        o.Scope.Add($"{{issuer}}/auth/files.file");\n',
    ".json": '  "scopes": "openid profile https://id.acme.test/auth/calendar.freebusy",\n',
    ".yaml": "scopes:\n  - openid\n  - https://id.acme.test/auth/mail.labels\n",
}
SOURCES = list(BODY)
OTHER = [".md", ".png", ".svg", ".lock", ".txt"]


def build(root: Path, total: int, seed: int = 7) -> None:
    """``total`` files: ~88% source/config, ~6% other types, ~6% under node_modules/.git."""
    rng = random.Random(seed)
    per_dir = 50
    for index in range(total):
        d = index // per_dir
        roll = rng.random()
        if roll < 0.04:
            folder = root / f"web{d % 40}" / "node_modules" / f"pkg{d}" / "lib"
            ext = ".js"
        elif roll < 0.06:
            folder = root / ".git" / "objects" / f"{d % 256:02x}"
            ext = ""
        else:
            folder = root / f"services/svc{d // 20}" / f"src/module{d}"
            ext = rng.choice(OTHER) if roll < 0.12 else rng.choice(SOURCES)
        folder.mkdir(parents=True, exist_ok=True)
        template = BODY.get(ext, BODY[".ts"] if ext == ".js" else "")
        text = "".join(template.format(n=f"f{index}_{k}") for k in range(rng.randint(4, 24)))
        if ext in USAGE and rng.random() < 0.01:
            text += USAGE[ext].format()
        if ext == ".png":
            (folder / f"img{index}.png").write_bytes(b"\x89PNG\r\n\x1a\n\x00" + rng.randbytes(2048))
        else:
            (folder / f"file{index}{ext}").write_text(text or "notes\n" * 40)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--files", type=int, default=100_000)
    ap.add_argument("--keep", type=Path, help="build the tree here (reused if it exists) and keep it")
    ap.add_argument("--workers", type=int, default=0, help="0: the scanner's default (one per core)")
    args = ap.parse_args()
    root = args.keep or Path(tempfile.mkdtemp(prefix="consentry-scan-bench-"))
    try:
        if not (root.exists() and any(root.iterdir())):
            root.mkdir(parents=True, exist_ok=True)
            t0 = time.perf_counter()
            build(root, args.files)
            print(
                f"built {args.files} files in {time.perf_counter() - t0:.1f} s under {root}", file=sys.stderr
            )
        tree = sum(len(files) for _, _, files in os.walk(root))
        catalogue = Catalogue(ISSUER)
        t0 = time.perf_counter()
        report = build_report(scan(str(root), catalogue, workers=args.workers or None), catalogue)
        lib = time.perf_counter() - t0
        cli = [str(Path(sys.executable).with_name("consentry")), "scan", str(root), "--json"]
        if args.workers:
            cli += ["--workers", str(args.workers)]
        t0 = time.perf_counter()
        env = {**os.environ, "CONSENTRY_ISSUER": ISSUER}
        out = subprocess.run(cli, capture_output=True, text=True, check=True, env=env)
        end_to_end = time.perf_counter() - t0
        assert json.loads(out.stdout)["scopes"] == report["scopes"]
        files = tree
        print(
            f"files={files} scanned={report['files_scanned']} skipped={report['files_skipped']} "
            f"scopes={len(report['scopes'])} operations={len(report['operations'])} cores={os.cpu_count()}\n"
            f"library: {lib:.2f} s, {files / lib:,.0f} files/s\n"
            f"cli:     {end_to_end:.2f} s, {files / end_to_end:,.0f} files/s (process start-up included)"
        )
    finally:
        if args.keep is None:
            shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
