"""One authorization decision for every protocol (VERIFY-10, VERIFY-11, LIMIT-6).

``gate.evaluate`` runs the ordered checks in ``checks/`` on prefetched facts (``facts.py``) and
returns a :class:`~consentry.domain.policy.decision.Decision`; ``/authorize``, ``/device``, the
token endpoint and the legacy protocols all call it and render what it says.
"""
