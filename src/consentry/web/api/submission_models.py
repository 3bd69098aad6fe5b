"""The verification submission a developer sends (``PUT .../verification``), with the scan
report it may attach; bounded like every model in ``models.py``.
"""

from __future__ import annotations

from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

from consentry.web.api.models import LongText, Name, Scope, Strict, Url, _storable, _text


class Justification(Strict):
    usage: LongText = ""
    why_not_narrower: LongText = ""


class ScanLocation(BaseModel):
    file: Annotated[str, _text(4096), AfterValidator(_storable)]
    line: int = Field(ge=0, le=10**9)


class ScanScope(BaseModel):
    scope: Scope
    uri: Scope = ""
    class_: Annotated[str, _text(30), AfterValidator(_storable)] = Field(default="", alias="class")
    verification: Name = ""
    locations: list[ScanLocation] = Field(default_factory=list, max_length=1000)
    narrower: list[Scope] = Field(default_factory=list, max_length=50)


class ScanOperation(BaseModel):
    operation: Name
    method: Annotated[str, _text(10), AfterValidator(_storable)] = ""
    path: Name = ""
    locations: list[ScanLocation] = Field(default_factory=list, max_length=1000)


class ScanAdvice(BaseModel):
    suggested: list[Scope] = Field(default_factory=list, max_length=100)
    conditions: list[LongText] = Field(default_factory=list, max_length=50)
    summary: LongText = ""
    unneeded: list[Scope] = Field(default_factory=list, max_length=100)
    uncovered: list[Name] = Field(default_factory=list, max_length=500)


class ScanReport(BaseModel):
    """The output of ``consentry scan --json``; unknown keys are dropped."""

    model_config = ConfigDict(extra="ignore", populate_by_name=True)

    path: Annotated[str, _text(4096), AfterValidator(_storable)] = ""
    files_scanned: int = Field(default=0, ge=0, le=10**9)
    files_skipped: int = Field(default=0, ge=0, le=10**9)
    scopes: list[ScanScope] = Field(default_factory=list, max_length=200)
    operations: list[ScanOperation] = Field(default_factory=list, max_length=500)
    advice: ScanAdvice = Field(default_factory=ScanAdvice)
    highest_class: Annotated[str, _text(30), AfterValidator(_storable)] | None = None
    verification: Name = "none"


class SubmissionIn(Strict):
    """The verification request's answers (VERIFY-6, LIMIT-2..4), saved as a draft."""

    justifications: dict[Scope, Justification] = Field(
        default_factory=dict,
        max_length=100,
        description="Per sensitive or restricted scope (URI or name): how it is used, why narrower won't do",
    )
    doc_links: list[Url] = Field(default_factory=list, max_length=10, description="At most three")
    video_url: Url = ""
    app_type: Name = Field(default="", description="One of `app_type_choices`, or empty for the reviewers")
    task_automation: bool = False
    server_access: bool = Field(default=True, description="Restricted data reaches the app's servers")
    transfers: LongText = ""
    human_access: LongText = ""
    attested: bool = False
    scan_report: ScanReport | None = None
