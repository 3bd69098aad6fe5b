"""The sample data APIs under /data/v1, each operation guarded by the catalogue's scopes."""

from fastapi import APIRouter

from consentry.web.data import calendar, chat, files, mail, meetings

ROUTERS: tuple[APIRouter, ...] = (mail.router, files.router, chat.router, meetings.router, calendar.router)
