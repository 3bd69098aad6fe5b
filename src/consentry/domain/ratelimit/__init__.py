"""Rate limits: atomic counters shared by every process, per account, per address, per client."""

from consentry.domain.ratelimit.limiter import Limiter, Verdict
from consentry.domain.ratelimit.limits import Limit, Limits

__all__ = ["Limit", "Limiter", "Limits", "Verdict"]
