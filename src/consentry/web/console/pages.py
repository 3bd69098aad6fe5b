"""The developer console (server-rendered, no script): one router made of a module per section.

Every view declares its permission with ``require(Permission.X)`` and every form post its CSRF
check (web/deps.py); the rules themselves are the domain's.
"""

from fastapi import APIRouter

from consentry.web.console import access, brand, clients, domains, events, projects, scopes, submission

#: The section modules, each with its own ``router``.
SECTIONS = (projects, brand, scopes, domains, submission, clients, access, events)

router = APIRouter(include_in_schema=False)
for _section in SECTIONS:
    router.include_router(_section.router)
