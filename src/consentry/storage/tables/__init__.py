"""SQLAlchemy models, one module per domain; importing this package registers them all."""

from consentry.storage.tables.access_log import AccessLogEntry
from consentry.storage.tables.account_links import AccountLink
from consentry.storage.tables.accounts import Organization, User
from consentry.storage.tables.audit import AuditEvent
from consentry.storage.tables.base import Base
from consentry.storage.tables.calendar import CalendarEvent
from consentry.storage.tables.challenges import CaptchaChallenge
from consentry.storage.tables.chat import ChatMembership, ChatMessage, ChatSpace
from consentry.storage.tables.clients import Client, Project, ProjectMember
from consentry.storage.tables.consent import (
    AppReport,
    ConsentGrant,
    ConsentReceipt,
    SecurityEvent,
    UnverifiedPass,
)
from consentry.storage.tables.credentials import AppPassword, Passkey, RecoveryCode, TotpFactor
from consentry.storage.tables.files import FilePermission, FilePick, StoredFile
from consentry.storage.tables.flows import DeviceCode, Interaction, UsedAssertion
from consentry.storage.tables.incidents import IncidentNote, SecurityIncident
from consentry.storage.tables.keys import SigningKey
from consentry.storage.tables.legacy import (
    ClientLoginUnlock,
    GadgetToken,
    LegacyCredential,
    LegacyNonce,
    LegacyRequest,
)
from consentry.storage.tables.mail import MailForwarding, MailLabel, MailMessage, MailSettings
from consentry.storage.tables.meetings import MeetingParticipant, MeetingSpace
from consentry.storage.tables.org_policy import AccessRequest, OrgAppAccess, OrgDelegation, ServiceAccountKey
from consentry.storage.tables.outbox import OutboxMail
from consentry.storage.tables.rate_limits import RateCounter
from consentry.storage.tables.sessions import BrowserSession, SessionAccount, TrustedDevice
from consentry.storage.tables.signin_steps import SigninStep
from consentry.storage.tables.tokens import AuthorizationCode, Token
from consentry.storage.tables.verification import (
    DomainProof,
    ReviewMessage,
    SecurityAssessment,
    VerificationRequest,
)

__all__ = [
    "AccessLogEntry",
    "AccessRequest",
    "AccountLink",
    "AppPassword",
    "AppReport",
    "AuditEvent",
    "AuthorizationCode",
    "Base",
    "BrowserSession",
    "CalendarEvent",
    "CaptchaChallenge",
    "ChatMembership",
    "ChatMessage",
    "ChatSpace",
    "Client",
    "ClientLoginUnlock",
    "ConsentGrant",
    "ConsentReceipt",
    "DeviceCode",
    "DomainProof",
    "FilePermission",
    "FilePick",
    "GadgetToken",
    "IncidentNote",
    "Interaction",
    "LegacyCredential",
    "LegacyNonce",
    "LegacyRequest",
    "MailForwarding",
    "MailLabel",
    "MailMessage",
    "MailSettings",
    "MeetingParticipant",
    "MeetingSpace",
    "OrgAppAccess",
    "OrgDelegation",
    "Organization",
    "OutboxMail",
    "Passkey",
    "Project",
    "ProjectMember",
    "RateCounter",
    "RecoveryCode",
    "ReviewMessage",
    "SecurityAssessment",
    "SecurityEvent",
    "SecurityIncident",
    "ServiceAccountKey",
    "SessionAccount",
    "SigninStep",
    "SigningKey",
    "StoredFile",
    "Token",
    "TotpFactor",
    "TrustedDevice",
    "UnverifiedPass",
    "UsedAssertion",
    "User",
    "VerificationRequest",
]
