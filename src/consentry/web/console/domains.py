"""Ownership of each authorized domain (VERIFY-3): what to publish, and a "Check now" button.

The exact TXT record and the well-known file are shown for every domain; a check tries DNS,
then the file, and records the outcome with the words saying what to publish when it failed.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import APIRouter
from starlette.responses import HTMLResponse, Response

from consentry.domain.permissions import Permission
from consentry.domain.verification.domain_ownership import ProofResult, file_url, txt_record
from consentry.errors import DomainError, InvalidInput
from consentry.storage.tables import DomainProof
from consentry.web.console.checkers import CheckersDep
from consentry.web.console.common import Form, failed, page, text
from consentry.web.deps import Csrf, ProjectAccess, require

router = APIRouter()

View = Annotated[ProjectAccess, require(Permission.PROJECT_VIEW)]
Edit = Annotated[ProjectAccess, require(Permission.PROJECT_EDIT)]
TAB = "domains"


@dataclass(frozen=True)
class DomainRow:
    domain: str
    proof: DomainProof | None
    record: str
    file_url: str

    @property
    def verified(self) -> bool:
        return self.proof is not None and self.proof.verified_at is not None


def _rows(access: ProjectAccess) -> list[DomainRow]:
    """Every authorized domain with its challenge."""
    project = access.project
    proofs = {p.domain: p for p in access.console.projects.repo.domain_proofs(project.id)}
    rows = []
    for domain in project.authorized_domains or []:
        proof = proofs.get(domain)  # made when the domain was authorized: a GET never writes
        rows.append(DomainRow(domain, proof, txt_record(proof.challenge) if proof else "", file_url(domain)))
    return rows


def _show(access: ProjectAccess, **context: Any) -> HTMLResponse:
    return page(access, "domains.html", tab=TAB, rows=_rows(access), **context)


@router.get("/console/projects/{project}/domains")
def domains_page(access: View, done: str = "") -> HTMLResponse:
    return _show(access, done=done)


@router.post("/console/projects/{project}/domains/check")
def check_now(_: Csrf, access: Edit, checkers: CheckersDep, form: Form) -> Response:
    """Run the checks now and record the outcome; the page shows what was found."""
    domain = text(form, "domain")
    try:
        if domain not in (access.project.authorized_domains or []):
            raise InvalidInput("unauthorized_domain", f"{domain!r} is not one of the authorized domains.")
        proof = access.console.verification.proof(access.project, domain)
        result: ProofResult = checkers.prove(domain, proof.challenge)
        access.console.verification.record_proof(access.project, domain, result)
    except DomainError as exc:
        return failed(access, exc, lambda **kw: _show(access, **kw))
    return _show(access, checked=domain, result=result)
