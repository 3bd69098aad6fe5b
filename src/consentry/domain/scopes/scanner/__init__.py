"""Least-privilege source scanner (SCOPE-5): the scopes a source tree requests, the data-API
operations it calls, and what verification they trigger. ``consentry scan PATH`` drives it."""

from consentry.domain.scopes.scanner.findings import FileFindings, Location, ScanResult, Tally
from consentry.domain.scopes.scanner.report import build_report
from consentry.domain.scopes.scanner.scan import scan

__all__ = ["FileFindings", "Location", "ScanResult", "Tally", "build_report", "scan"]
