"""Every legacy protocol's routers, included by app.py in one line."""

from __future__ import annotations

from fastapi import APIRouter

from consentry.web.legacy import authsub, clientlogin, clientlogin_unlock, gadget, oauth1, oauth1_authorize

ROUTERS: tuple[APIRouter, ...] = (
    clientlogin.router,
    clientlogin_unlock.router,
    gadget.router,
    authsub.router,
    oauth1.router,
    oauth1_authorize.router,
)
