"""Audit tags name the entity and the action (``project:client:create``); channel is a field.

One enum, so a typo is an error and the operator's listing can be filtered by entity.
"""

from __future__ import annotations

from enum import StrEnum


class Channel(StrEnum):
    WEB = "web"
    API = "api"
    CLI = "cli"
    SYSTEM = "system"  # the janitor, the mailer
    PROTOCOL = "protocol"  # the OAuth endpoints (/token, /revoke, ...)


class AuditTag(StrEnum):
    # --- tokens and consent (channel: the protocol endpoint or page) ---
    TOKEN_REVOKE = "token:revoke"
    TOKEN_REFRESH_REUSE = "token:refresh:reuse"
    TOKEN_CODE_REPLAY = "token:code:replay"
    CONSENT_GRANT = "consent:grant"
    DEVICE_DENY = "device:deny"
    FILE_PICK = "file:pick"
    # --- the platform ---
    KEYS_ROTATE = "keys:rotate"
    DEMO_LOAD = "demo:load"
    ORG_CREATE = "org:create"
    USER_CREATE = "user:create"
    USER_PASSWORD = "user:password"
    USER_DISABLE = "user:disable"
    USER_ENABLE = "user:enable"
    USER_DELETE = "user:delete"
    # --- projects and review ---
    PROJECT_CREATE = "project:create"
    PROJECT_UPDATE = "project:update"
    PROJECT_BRAND_CHANGE = "project:brand:change"
    PROJECT_MEMBER_ADD = "project:member:add"
    PROJECT_MEMBER_REMOVE = "project:member:remove"
    PROJECT_SCOPES = "project:scopes:declare"
    PROJECT_TEST_USERS = "project:test_users:change"
    PROJECT_SUSPEND = "project:suspend"
    PROJECT_REINSTATE = "project:reinstate"
    PROJECT_DOMAIN_VERIFY = "project:domain:verify"
    CLIENT_CREATE = "project:client:create"
    CLIENT_ROTATE = "project:client:rotate_secret"
    CLIENT_DISABLE = "project:client:disable"
    CLIENT_ENABLE = "project:client:enable"
    CLIENT_DELETE = "project:client:delete"
    CLIENT_RESTORE = "project:client:restore"
    REVIEW_SUBMIT = "review:project:submit"
    REVIEW_START = "review:project:start"
    REVIEW_ASK = "review:project:ask"
    REVIEW_ANSWER = "review:project:answer"
    REVIEW_APPROVE = "review:project:approve"
    REVIEW_REJECT = "review:project:reject"
    REVIEW_CANCEL = "review:project:cancel"
    REVIEW_EXPIRE = "review:project:expire"
    ASSESSMENT_RECORD = "review:assessment:record"
    # --- users' control over their data (the account page) ---
    CONSENT_REVOKE = "user:consent:revoke"
    REPORT_APP = "user:app:report"
    REVIEW_REPORT_CLOSE = "review:report:close"
    # --- security events to apps (domain/events/) ---
    PROJECT_EVENTS_ENDPOINT = "project:events_endpoint:change"
    PROJECT_EVENTS_VERIFY = "project:events:verify"
    USER_DELETION_REQUEST = "user:deletion:request"
    SECURITY_EVENT_GIVE_UP = "security_event:give_up"
    # --- the platform's own accounts (issue 13: ACCT-1..7) ---
    USER_RESET_REQUEST = "user:password:reset-request"
    USER_RESET = "user:password:reset"
    USER_SIGNUP_REQUEST = "user:signup:request"
    USER_SIGNUP = "user:signup"
    ORG_INVITE = "org:member:invite"
    ORG_JOIN = "org:member:join"
    ORG_REQUIRE_2SV = "org:2sv:require"
    ORG_ACCESS_REQUEST = "org:access-request:create"
    ORG_ACCESS_DECIDE = "org:access-request:decide"
    USER_2SV_ENABLE = "user:2sv:enable"
    USER_2SV_DISABLE = "user:2sv:disable"
    USER_2SV_RESET = "user:2sv:reset"
    USER_RECOVERY_CODES = "user:2sv:recovery-codes"
    USER_RECOVERY_USED = "user:2sv:recovery-used"
    USER_2SV_GUESSING = "user:2sv:guessing"
    USER_PASSKEY_ADD = "user:passkey:add"
    USER_PASSKEY_REMOVE = "user:passkey:remove"
    USER_APP_PASSWORD_CREATE = "user:app-password:create"
    USER_APP_PASSWORD_REVOKE = "user:app-password:revoke"
    USER_CLIENTLOGIN_UNLOCK = "user:clientlogin:unlock"
    USER_SESSION_END = "user:session:end"
    # --- service accounts and domain-wide delegation (issue 14: AUTH2-5) ---
    SERVICE_KEY_ADD = "project:client:key:add"
    SERVICE_KEY_DISABLE = "project:client:key:disable"
    SERVICE_KEY_ENABLE = "project:client:key:enable"
    SERVICE_KEY_DELETE = "project:client:key:delete"
    ORG_DELEGATE = "org:delegation:set"
    ORG_UNDELEGATE = "org:delegation:remove"
    ORG_APP_ACCESS = "org:app:access"
    ORG_APP_INSTALL = "org:app:install"
    ORG_POLICY = "org:policy:update"
    ORG_MEMBER_ROLE = "org:member:role"
    # --- security incidents (SEC-6): reported by the project, tracked by the platform ---
    INCIDENT_REPORT = "project:incident:report"
    INCIDENT_UPDATE = "project:incident:update"
    INCIDENT_ACKNOWLEDGE = "review:incident:acknowledge"
    INCIDENT_NOTE = "review:incident:note"
    INCIDENT_RESOLVE = "review:incident:resolve"
    INCIDENT_CLOSE = "review:incident:close"
