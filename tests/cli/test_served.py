"""The app as ``consentry serve`` builds it in each worker: routes analysed before the first
request, then its start-up heap frozen and its young generation collected less often (issue 10)."""

from __future__ import annotations

import gc
from pathlib import Path

import pytest
from starlette.testclient import TestClient

from consentry.cli.served import YOUNG_THRESHOLD, create_served_app
from consentry.storage.migrate import upgrade


def test_the_served_app_leaves_its_start_up_objects_to_no_collection(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    url = f"sqlite:///{tmp_path / 'served.db'}"
    upgrade(url)
    monkeypatch.setenv("CONSENTRY_DATABASE_URL", url)
    monkeypatch.setenv("CONSENTRY_SECRET_KEY", "served-test-secret-key-0123456789abcdefghij")
    monkeypatch.setenv("CONSENTRY_ISSUER", "http://served.consentry.test")
    monkeypatch.setenv("CONSENTRY_ENVIRONMENT", "test")
    gc.unfreeze()
    thresholds = gc.get_threshold()
    try:
        app = create_served_app()
        assert app.title == "Consentry"
        # The young generation waits for 20,000 objects, not 700; the older ones keep CPython's.
        assert gc.get_threshold() == (YOUNG_THRESHOLD, *thresholds[1:])
        # The routes, models and tables of the app just built are among the frozen objects.
        assert gc.get_freeze_count() > 50_000
        route = app.router.routes[-1]
        assert not any(o is route for o in gc.get_objects())  # the collector's generations skip it
        # The routes were analysed already: the first request builds no route state of its own
        # (without the warm-up it leaves about 34,000 new objects behind).
        with TestClient(app) as client:
            gc.collect()
            before = len(gc.get_objects())
            assert client.get("/no-such-page", headers={"accept": "application/json"}).status_code == 404
            gc.collect()
            assert len(gc.get_objects()) - before < 2_000
    finally:
        gc.unfreeze()  # this test process builds many more apps; theirs must stay collectable
        gc.set_threshold(*thresholds)
