"""One check per module; each exposes ``check(GateInput) -> Decision``. The order is in ``gate.py``."""
