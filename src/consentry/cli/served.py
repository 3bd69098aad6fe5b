"""The app as ``consentry serve`` runs it in each worker process: built, warmed, its heap frozen.

FastAPI analyses each route (signatures, pydantic adapters) lazily, on the first request that
walks the route table: about 250 ms and 34,000 objects, paid by the worker's first visitor. Here
it is done before the worker serves, by matching a path no route has against every route.

Every request allocates, so the cycle collector runs often, and each full collection used to walk
every object that importing, building and warming the app created (about 275,000: routes, pydantic
models, SQLAlchemy tables), none of which ever becomes garbage. ``gc.freeze`` moves them out of
the collector's sight. Measured under the client-credentials load (bench/README.md): collection
time per token fell from about 30 to 13 us. Only here, in a process that serves one app for its
whole life: a test process builds many apps, and a frozen app's cycles are never reclaimed.

The young generation's threshold is raised too: 700 container objects (CPython's default) is
crossed many times a second by nothing but the requests in flight (32 at once each hold their
scope, request and token objects), and each crossing walked them all: 9-11 us of collection per
client-credentials token. Almost everything a request allocates is freed by reference counting
when it ends, so at ``YOUNG_THRESHOLD`` the collector runs only when objects really pile up
(measured: no collection at all during 40,000 tokens; bench/README.md).
"""

from __future__ import annotations

import gc

from fastapi import FastAPI

from consentry.app import create_app

#: Container objects allocated (net of those freed) before the young generation is collected.
YOUNG_THRESHOLD = 20_000

#: A path no route answers, so that matching it visits (and builds) every route.
WARM_UP = {"type": "http", "method": "GET", "path": "/.consentry-warm-up", "root_path": "", "headers": []}


def create_served_app() -> FastAPI:
    app = create_app()
    for route in app.router.routes:
        route.matches(dict(WARM_UP))
    gc.collect()  # what start-up left as garbage goes now, not frozen with the rest
    gc.freeze()
    gc.set_threshold(YOUNG_THRESHOLD, *gc.get_threshold()[1:])
    return app
