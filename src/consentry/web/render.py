"""Jinja2 pages, autoescaped."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, select_autoescape
from starlette.responses import HTMLResponse

TEMPLATES = Path(__file__).parent / "templates"
_env = Environment(
    loader=FileSystemLoader(TEMPLATES),
    autoescape=select_autoescape(["html"]),
    trim_blocks=True,
    lstrip_blocks=True,
)


def render(name: str, status_code: int = 200, **context: Any) -> HTMLResponse:
    return HTMLResponse(_env.get_template(name).render(**context), status_code=status_code)


def error_page(
    title: str,
    message: str,
    status_code: int = 400,
    error: str | None = None,
    reason: str | None = None,
    ask_url: str | None = None,
) -> HTMLResponse:
    """``error`` is the protocol's code; ``reason`` the policy's reason code, for support;
    ``ask_url`` where the user asks their organization's admins for the app (issue 14)."""
    return render(
        "error.html",
        status_code=status_code,
        title=title,
        message=message,
        error=error,
        reason=reason,
        ask_url=ask_url,
    )


def ask_admins_url(project_id: int, ask_admin: bool = True) -> str | None:
    """Where a refused member asks their organization's admins for the app (None: they may not)."""
    return f"/account/organization/request?project={project_id}" if ask_admin else None
