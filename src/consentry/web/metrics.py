"""Prometheus metrics at /metrics: protocol responses by endpoint and status.

Each worker process keeps its own counters (prometheus-client's default registry); a scraper
behind the load balancer sees one worker per scrape. Multi-process aggregation is left to
deployments that set PROMETHEUS_MULTIPROC_DIR.
"""

from __future__ import annotations

from typing import Any

from prometheus_client import CollectorRegistry, Counter, generate_latest
from prometheus_client.exposition import CONTENT_TYPE_LATEST
from starlette.requests import Request
from starlette.responses import Response


class Metrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.responses = Counter(
            "consentry_protocol_responses",
            "Protocol endpoint responses",
            ["endpoint", "status"],
            registry=self.registry,
        )

        self._children: dict[tuple[str, int], Any] = {}

    def count(self, endpoint: str, status: int) -> None:
        # Looking a labelled child up costs more than incrementing it; keep them (few: paths x statuses).
        child = self._children.get((endpoint, status))
        if child is None:
            child = self._children[(endpoint, status)] = self.responses.labels(endpoint, str(status))
        child.inc()

    async def endpoint(self, _request: Request) -> Response:
        return Response(generate_latest(self.registry), media_type=CONTENT_TYPE_LATEST)
