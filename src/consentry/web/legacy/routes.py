"""Every legacy protocol's routers, included by app.py in one line."""

from __future__ import annotations

from fastapi import APIRouter

from consentry.web.legacy import clientlogin, clientlogin_unlock

ROUTERS: tuple[APIRouter, ...] = (clientlogin.router, clientlogin_unlock.router)
