"""A developer bringing a project to the point of submitting, through the console's JSON API.

Shared by the use-case (USE-*) and Limited Use (LIMIT-*) tests: a production project with a
complete brand, a proven domain and declared scopes, and a full set of answers to vary one at a
time. The DNS proof is set in SQL, as in tests/integration/api/test_review_api.py: the domain
check itself is tested with the domain checks.
"""

from __future__ import annotations

import html
import re
from typing import Any
from urllib.parse import quote

from sqlalchemy import text

from tests.conftest import ISSUER
from tests.integration.api import Api, b64, png
from tests.support.seed import Seeder

DEV, REVIEWER = "dev@example.com", "reviewer@example.com"


def api_path(project: str) -> str:
    return f"/api/v1/projects/{quote(project)}"


def make_project(dev: Api, seed: Seeder, name: str, scopes: list[str]) -> str:
    """A production project named ``name`` with a complete brand, a proven domain and ``scopes``."""
    domain = re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-") + ".example.com"
    r = dev.post("/api/v1/projects", {"name": name, "status": "production"})
    assert r.status_code == 201, r.text
    p = api_path(name)
    brand = {
        "app_name": name,
        "support_email": f"support@{domain}",
        "home_page": f"https://{domain}/",
        "privacy_policy": f"https://{domain}/privacy",
        "authorized_domains": [domain],
        "developer_contacts": [f"dev@{domain}"],
        "logo_base64": b64(png()),
    }
    assert dev.patch(f"{p}/consent-screen", brand).status_code == 200
    if scopes:
        assert dev.post(f"{p}/scopes", {"add": scopes}).status_code == 200
    assert dev.get(f"{p}/domains").status_code == 200  # the challenge is made on first sight
    with seed.db.unit_of_work() as s:
        s.execute(
            text("UPDATE domain_proofs SET verified_at = 1, method = 'dns' WHERE domain = :d"), {"d": domain}
        )
    return p


def answers(scopes: list[str], **over: Any) -> dict[str, Any]:
    """A complete submission for these scope names; ``over`` replaces single answers."""
    base: dict[str, Any] = {
        "justifications": {
            f"{ISSUER}/auth/{s}": {"usage": f"The app shows {s} data.", "why_not_narrower": "Nothing less."}
            for s in scopes
        },
        "doc_links": ["https://docs.example.com/feature"],
        "video_url": "https://video.example.com/unlisted",
        "app_type": "",
        "transfers": "Only to our hosting provider, to run the feature.",
        "human_access": "Nobody, except for abuse investigations.",
        "attested": True,
    }
    return {**base, **over}


def options(page: str, name: str) -> list[str]:
    """The option values of the ``<select name=...>`` of an HTML page, in order."""
    match = re.search(rf'<select[^>]*name="{name}"[^>]*>(.*?)</select>', page, re.S)
    assert match, page[:2000]
    return [html.unescape(v) for v in re.findall(r'<option value="([^"]*)"', match.group(1))]


def text_of(page: str) -> str:
    """The visible text of an HTML page, whitespace collapsed."""
    return re.sub(r"\s+", " ", html.unescape(re.sub(r"<[^>]+>", " ", page)))
