"""`GET /health`: the superset shape every seed accepts (API.md, conflict C1)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

import orjson

from cloverleaf import __version__
from cloverleaf.governance.enforce_counters import counters_kind
from cloverleaf.pipeline.gateway import Gateway
from cloverleaf.server.asgi import HttpRequest, Send, response_headers, send_bytes


class HealthRoute:
    def __init__(self, gateway: Gateway, draining: Callable[[], bool]) -> None:
        self._gateway = gateway
        self._draining = draining

    async def health(self, request: HttpRequest, send: Send) -> None:
        now = datetime.now(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")
        providers = len(self._gateway.table.routes)
        components = {"router": f"ok ({providers} providers)", "config_store": "file"}
        accounting = self._gateway.accounting
        if accounting is not None:
            counters = accounting.counters
            components["counters"] = f"{counters_kind(counters)}: {await counters.health()}"
        if self._draining():
            components["server"] = "draining"
            body: dict[str, object] = {
                "status": "draining",
                "version": __version__,
                "timestamp": now,
                "components": components,
                "is_bifrost_error": True,
                "status_code": 503,
                "error": {"type": "service_unavailable", "message": "the gateway is shutting down"},
            }
            status = 503
        else:
            body = {
                "status": "ok",
                "version": __version__,
                "timestamp": now,
                "components": components,
            }
            status = 200
        headers = response_headers(b"application/json", request.request_id)
        await send_bytes(send, status, headers, orjson.dumps(body))
