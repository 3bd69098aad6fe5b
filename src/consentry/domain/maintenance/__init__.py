"""Housekeeping that keeps tables bounded: purge dead rows, on demand or from a background janitor."""

from consentry.domain.maintenance.janitor import Janitor, start_janitor
from consentry.domain.maintenance.purge import DEFAULT_BATCH, DEFAULT_GRACE, PurgeReport, purge

__all__ = ["DEFAULT_BATCH", "DEFAULT_GRACE", "Janitor", "PurgeReport", "purge", "start_janitor"]
