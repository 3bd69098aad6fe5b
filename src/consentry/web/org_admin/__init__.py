"""The organization admin console (``/admin``, issue 14): members, apps, policy, delegation and
the members' access requests, for the organization's own administrators."""

from consentry.web.org_admin import apps, delegation, pages

ROUTERS = (pages.router, apps.router, delegation.router)
