"""SQLAlchemy models, one module per domain; importing this package registers them all."""

from consentry.storage.tables.accounts import Organization, User
from consentry.storage.tables.audit import AuditEvent
from consentry.storage.tables.base import Base
from consentry.storage.tables.clients import Client, Project, ProjectMember
from consentry.storage.tables.consent import ConsentGrant
from consentry.storage.tables.flows import DeviceCode, Interaction, UsedAssertion
from consentry.storage.tables.keys import SigningKey
from consentry.storage.tables.sessions import BrowserSession, LoginThrottle, SessionAccount
from consentry.storage.tables.tokens import AuthorizationCode, Token

__all__ = [
    "AuditEvent",
    "AuthorizationCode",
    "Base",
    "BrowserSession",
    "Client",
    "ConsentGrant",
    "DeviceCode",
    "Interaction",
    "LoginThrottle",
    "Organization",
    "Project",
    "ProjectMember",
    "SessionAccount",
    "SigningKey",
    "Token",
    "UsedAssertion",
    "User",
]
