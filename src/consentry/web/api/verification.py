"""``/api/v1``: domain proofs (VERIFY-3) and the verification request (VERIFY-4..7)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Path

from consentry.domain.verification.service import Submission
from consentry.web.api import models as m
from consentry.web.api import submission_models as sm
from consentry.web.api.console_common import (
    PRECHECKS,
    Editor,
    Submitter,
    Viewer,
    Write,
    console_router,
    domain_out,
    existing_domains,
    verification_out,
)
from consentry.web.console.checkers import Checkers, CheckersDep
from consentry.web.deps import ProjectAccess

router = console_router()


# --- domains (VERIFY-3) ----------------------------------------------------------------------------


@router.get(
    "/projects/{project}/domains",
    response_model=m.DomainList,
    summary="Authorized domains: verified or not, and the TXT record or file that proves them",
)
def list_domains(access: Viewer) -> m.DomainList:
    # Read-only: each domain's challenge is made when the domain is authorized (update_brand).
    return m.DomainList(domains=existing_domains(access.console, access.project))


@router.post(
    "/projects/{project}/domains/{domain}/check",
    response_model=m.DomainCheckOut,
    summary="Check the TXT record (then the well-known file) now, and record the outcome",
)
def check_domain(
    domain: Annotated[str, Path(max_length=253, description="One of the authorized domains")],
    _: Write,
    access: Editor,
    checkers: CheckersDep,
) -> m.DomainCheckOut:
    project, verification = access.project, access.console.verification
    proof = verification.proof(project, domain)  # refuses a domain that is not authorized
    result = checkers.prove(proof.domain, proof.challenge)
    proof = verification.record_proof(project, proof.domain, result)
    return m.DomainCheckOut(
        domain=domain_out(proof.domain, proof),
        result=m.CheckResult(
            verified=result.verified,
            method=result.method,
            reason=result.reason,
            message=result.message,
            evidence=list(result.evidence),
        ),
    )


# --- verification (VERIFY-4..7) --------------------------------------------------------------------


@router.get(
    "/projects/{project}/verification",
    response_model=m.VerificationOut,
    summary="Verification status and the current request with its answers and messages",
)
def get_verification(access: Viewer) -> m.VerificationOut:
    return verification_out(access)


@router.put(
    "/projects/{project}/verification",
    response_model=m.VerificationOut,
    summary="Save the draft request (all answers at once)",
)
def save_verification(body: sm.SubmissionIn, _: Write, access: Submitter) -> m.VerificationOut:
    catalogue = access.console.projects.catalogue

    def uri(scope: str) -> str:
        info = catalogue.lookup(scope.strip())
        return info.uri if info is not None else scope

    answers = Submission(
        justifications={
            uri(s): {"usage": j.usage, "why_not_narrower": j.why_not_narrower}
            for s, j in body.justifications.items()
        },
        doc_links=list(body.doc_links),
        video_url=body.video_url,
        app_type=body.app_type,
        task_automation=body.task_automation,
        server_access=body.server_access,
        transfers=body.transfers,
        human_access=body.human_access,
        attested=body.attested,
        scan_report=body.scan_report.model_dump(by_alias=True) if body.scan_report else None,
    )
    access.console.verification.save(access.project, answers)
    return verification_out(access)


def _prechecks(access: ProjectAccess, checkers: Checkers) -> list[dict[str, Any]] | None:
    """The automatic pre-checks (VERIFY-4, VERIFY-5, LIMIT-5), run only when the submit can pass
    the brand checks (no network for a submit that will be refused anyway)."""
    console, project = access.console, access.project
    status = console.verification.status(project)
    if status.needed == "none" or any(x.section in ("brand", "domains") for x in status.missing):
        return None
    proofs = console.projects.repo.domain_proofs(project.id)
    try:
        return checkers.prechecks(
            app_name=project.app_name or project.name,
            home_page=project.home_page,
            privacy_policy=project.privacy_policy,
            terms=project.terms,
            verified_domains={p.domain for p in proofs if p.verified_at is not None},
        )
    except ModuleNotFoundError as missing:  # domain/verification/prechecks.py not landed yet
        if missing.name != PRECHECKS:
            raise
        return None


@router.post(
    "/projects/{project}/verification/submit",
    response_model=m.VerificationOut,
    responses=m.CONFLICT,
    summary="Submit the draft for review (pre-checks run first)",
)
def submit_verification(_: Write, access: Submitter, checkers: CheckersDep) -> m.VerificationOut:
    access.console.verification.submit(access.project, _prechecks(access, checkers))
    return verification_out(access)


@router.post(
    "/projects/{project}/verification/answer",
    response_model=m.VerificationOut,
    responses=m.CONFLICT,
    summary="Answer the reviewers' question",
)
def answer_reviewers(body: m.MessageIn, _: Write, access: Submitter) -> m.VerificationOut:
    access.console.verification.answer(access.project, body.message)
    return verification_out(access)
