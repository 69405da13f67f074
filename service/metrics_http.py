"""The /metrics endpoint on its own port (prometheus-client's HTTP server on a thread)."""

from __future__ import annotations

from typing import Any

from prometheus_client import start_http_server

from service.metrics import Metrics


def serve_metrics(metrics: Metrics, listen: str) -> tuple[Any, int]:
    """Start serving ``metrics`` on ``host:port`` (port 0: any free one). Returns the HTTP
    server (``shutdown()`` stops it) and the bound port."""
    host, _, port = listen.rpartition(":")
    server, _thread = start_http_server(int(port), addr=host.strip("[]") or "127.0.0.1",
                                        registry=metrics.registry)
    return server, int(server.server_port)
