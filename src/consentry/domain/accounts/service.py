"""Create and find organizations and users (sign-in itself: domain/accounts/signin.py)."""

from __future__ import annotations

import re

from sqlalchemy import select
from sqlalchemy.orm import Session

from consentry.domain.accounts.emails import is_email_address, shown
from consentry.domain.accounts.passwords import hash_password
from consentry.domain.audit import record
from consentry.domain.secrets import new_id
from consentry.errors import DomainError
from consentry.storage.tables import Organization, User

DOMAIN_RE = re.compile(r"^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$")
ROLES = ("user", "admin", "reviewer")


def add_org(session: Session, domain: str, name: str | None = None) -> Organization:
    domain = domain.strip().lower()
    if not DOMAIN_RE.match(domain):
        raise DomainError("invalid_domain", f"{domain!r} is not a domain name")
    if session.scalar(select(Organization).where(Organization.domain == domain)):
        raise DomainError("exists", f"organization {domain} already exists")
    org = Organization(domain=domain, name=name or domain)
    session.add(org)
    session.flush()
    record(session, "cli:org:create", data={"domain": domain})
    return org


def find_org(session: Session, domain: str) -> Organization | None:
    return session.scalar(select(Organization).where(Organization.domain == domain.strip().lower()))


def add_user(
    session: Session,
    email: str,
    password: str,
    *,
    name: str = "",
    org_domain: str | None = None,
    role: str = "user",
) -> User:
    email = email.strip().lower()
    if not is_email_address(email):
        raise DomainError("invalid_email", f"{shown(email)!r} is not an email address")
    if len(password) < 8:
        raise DomainError("weak_password", "passwords need at least 8 characters")
    if role not in ROLES:
        raise DomainError("invalid_role", f"role must be one of {', '.join(ROLES)}")
    if find_user(session, email):
        raise DomainError("exists", f"user {email} already exists")
    org = None
    if org_domain:
        org = find_org(session, org_domain)
        if org is None:
            raise DomainError("not_found", f"no organization {org_domain}; add it first")
    user = User(
        sub=new_id(12),
        email=email,
        name=name or email.split("@")[0].replace(".", " ").title(),
        password_hash=hash_password(password),
        org_id=org.id if org else None,
        role=role,
    )
    session.add(user)
    session.flush()
    record(session, "cli:user:create", data={"email": email, "role": role})
    return user


def find_user(session: Session, email: str) -> User | None:
    return session.scalar(select(User).where(User.email == email.strip().lower()))


def get_user(session: Session, user_id: int) -> User | None:
    return session.get(User, user_id)
