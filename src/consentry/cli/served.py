"""The app as ``consentry serve`` runs it in each worker process: built, then its heap frozen.

Every request allocates, so the cycle collector runs often, and each full collection used to walk
every object that importing and building the app created (about 240,000: FastAPI routes, pydantic
models, SQLAlchemy tables), none of which ever becomes garbage. ``gc.freeze`` moves them out of
the collector's sight. Measured under the client-credentials load (bench/README.md): collection
time per token fell from about 30 to 13 us. Only here, in a process that serves one app for its
whole life: a test process builds many apps, and a frozen app's cycles are never reclaimed.
"""

from __future__ import annotations

import gc

from fastapi import FastAPI

from consentry.app import create_app


def create_served_app() -> FastAPI:
    app = create_app()
    gc.collect()  # what start-up left as garbage goes now, not frozen with the rest
    gc.freeze()
    return app
