"""A service account's address: the key file's ``client_email`` and the assertions' ``iss``.

``<client>-<4 hex>@<project>.iam.<issuer host>``, after the reference platform's
``name@project.iam.gserviceaccount.com``; the random part keeps two accounts of the same name
apart (the column is unique too).
"""

from __future__ import annotations

import re
import secrets
from urllib.parse import urlsplit

_NOT_SLUG = re.compile(r"[^a-z0-9]+")


def slug(text: str, limit: int = 30) -> str:
    return _NOT_SLUG.sub("-", text.lower()).strip("-")[:limit].strip("-") or "sa"


def service_email(client_name: str, project_name: str, issuer: str) -> str:
    host = urlsplit(issuer).hostname or "localhost"
    return f"{slug(client_name)}-{secrets.token_hex(2)}@{slug(project_name)}.iam.{host}"
