"""The SQLAlchemy ConsoleRepository: rows for the project, client and verification services."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import delete, func, select, update
from sqlalchemy.orm import Session

from consentry.storage.repositories.effects import AuditAndMail
from consentry.storage.tables import (
    AuthorizationCode,
    Client,
    ConsentGrant,
    DeviceCode,
    DomainProof,
    Project,
    ProjectMember,
    ReviewMessage,
    SecurityAssessment,
    Token,
    User,
    VerificationRequest,
)


class SqlConsole(AuditAndMail):
    def __init__(self, session: Session, issuer: str | None = None) -> None:
        self.session = session
        self.issuer = issuer

    def add(self, row: object) -> None:
        self.session.add(row)

    def delete(self, row: object) -> None:
        self.session.delete(row)

    def flush(self) -> None:
        self.session.flush()

    def user(self, email: str) -> User | None:
        return self.session.scalar(select(User).where(User.email == email.strip().lower()))

    def users(self, ids: Sequence[int]) -> list[User]:
        return list(self.session.scalars(select(User).where(User.id.in_(list(ids)))))

    def project(self, name: str) -> Project | None:
        return self.session.scalar(select(Project).where(Project.name == name))

    def project_by_id(self, project_id: int) -> Project | None:
        return self.session.get(Project, project_id)

    def projects(self, member_user_id: int | None = None) -> list[Project]:
        q = select(Project).order_by(Project.name)
        if member_user_id is not None:
            q = q.join(ProjectMember).where(ProjectMember.user_id == member_user_id)
        return list(self.session.scalars(q))

    def role_of(self, project_id: int, user_id: int) -> str | None:
        return self.session.scalar(
            select(ProjectMember.role).where(
                ProjectMember.project_id == project_id, ProjectMember.user_id == user_id
            )
        )

    def members(self, project_id: int) -> list[tuple[User, str]]:
        rows = self.session.execute(
            select(User, ProjectMember.role)
            .join(ProjectMember, ProjectMember.user_id == User.id)
            .where(ProjectMember.project_id == project_id)
            .order_by(User.email)
        )
        return [(u, r) for u, r in rows]

    def set_role(self, project_id: int, user_id: int, role: str | None) -> None:
        self.session.execute(
            delete(ProjectMember).where(
                ProjectMember.project_id == project_id, ProjectMember.user_id == user_id
            )
        )
        if role is not None:
            self.session.add(ProjectMember(project_id=project_id, user_id=user_id, role=role))
        self.session.flush()

    def clients(self, project_id: int, *, deleted: bool = False) -> list[Client]:
        q = select(Client).where(Client.project_id == project_id)
        q = q.where(Client.deleted_at.is_not(None) if deleted else Client.deleted_at.is_(None))
        return list(self.session.scalars(q.order_by(Client.created_at, Client.id)))

    def client(self, client_id: str) -> Client | None:
        return self.session.scalar(select(Client).where(Client.client_id == client_id))

    def domain_proofs(self, project_id: int) -> list[DomainProof]:
        q = select(DomainProof).where(DomainProof.project_id == project_id).order_by(DomainProof.domain)
        return list(self.session.scalars(q))

    def latest_request(
        self, project_id: int, *, submitted: bool = False, state: str | None = None
    ) -> VerificationRequest | None:
        q = select(VerificationRequest).where(VerificationRequest.project_id == project_id)
        if submitted:
            q = q.where(VerificationRequest.state != "draft")
        if state is not None:
            q = q.where(VerificationRequest.state == state)
        return self.session.scalar(q.order_by(VerificationRequest.id.desc()).limit(1))

    def set_state(self, request_id: int, from_states: list[str], to_state: str) -> bool:
        result = self.session.execute(
            update(VerificationRequest)
            .where(VerificationRequest.id == request_id, VerificationRequest.state.in_(from_states))
            .values(state=to_state)
            .execution_options(synchronize_session=False)
        )
        return int(getattr(result, "rowcount", 0) or 0) == 1

    def requests(self, states: Sequence[str] | None = None) -> list[VerificationRequest]:
        q = select(VerificationRequest).order_by(VerificationRequest.submitted_at, VerificationRequest.id)
        if states:
            q = q.where(VerificationRequest.state.in_(list(states)))
        return list(self.session.scalars(q))

    def messages(self, request_id: int) -> list[ReviewMessage]:
        q = select(ReviewMessage).where(ReviewMessage.request_id == request_id).order_by(ReviewMessage.id)
        return list(self.session.scalars(q))

    def assessments(self, project_id: int) -> list[SecurityAssessment]:
        q = (
            select(SecurityAssessment)
            .where(SecurityAssessment.project_id == project_id)
            .order_by(SecurityAssessment.letter_date.desc(), SecurityAssessment.id.desc())
        )
        return list(self.session.scalars(q))

    def all_assessments(self) -> list[SecurityAssessment]:
        return list(self.session.scalars(select(SecurityAssessment).order_by(SecurityAssessment.id)))

    def outside_consenters(self, project_id: int) -> int:
        members = select(ProjectMember.user_id).where(ProjectMember.project_id == project_id)
        q = (
            select(func.count(func.distinct(ConsentGrant.user_id)))
            .join(Client, Client.id == ConsentGrant.client_pk)
            .where(Client.project_id == project_id, ConsentGrant.user_id.not_in(members))
        )
        return int(self.session.scalar(q) or 0)

    def revoke_client_tokens(self, client_pk: int, at: int) -> int:
        result = self.session.execute(
            update(Token)
            .where(Token.client_pk == client_pk, Token.revoked_at.is_(None))
            .values(revoked_at=at)
        )
        return int(getattr(result, "rowcount", 0) or 0)

    def cut_project_access(self, project_id: int, at: int) -> tuple[int, int, int]:
        clients = select(Client.id).where(Client.project_id == project_id).scalar_subquery()
        tokens = self.session.execute(
            update(Token)
            .where(Token.client_pk.in_(clients), Token.revoked_at.is_(None))
            .values(revoked_at=at)
        )
        codes = self.session.execute(
            update(AuthorizationCode)
            .where(AuthorizationCode.client_pk.in_(clients), AuthorizationCode.used_at.is_(None))
            .values(used_at=at)
        )
        # Consent goes too: after a reinstatement users are asked again, never silently re-granted.
        self.session.execute(delete(ConsentGrant).where(ConsentGrant.client_pk.in_(clients)))
        devices = self.session.execute(
            update(DeviceCode)
            .where(DeviceCode.client_pk.in_(clients), DeviceCode.status.in_(("pending", "approved")))
            .values(status="denied", refusal="access_denied:app_suspended")
        )
        return tuple(int(getattr(r, "rowcount", 0) or 0) for r in (tokens, codes, devices))  # type: ignore[return-value]
