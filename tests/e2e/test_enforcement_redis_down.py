"""Redis stopped mid-run: budgeted requests follow the documented policy at once — `refuse`
answers 503 rather than overspend, `allow_local` counts in the instance — and /health says so.
Redis sits behind a TCP relay the test cuts, so the shared Redis itself is never touched."""

from __future__ import annotations

import contextlib
import json
import socket
import threading
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.e2e.enforcement import (
    METERED,
    OUTPUT_PRICE,
    chat,
    chat_body,
    cluster,
    eventually,
    price,
    virtual_key,
)
from tests.gateway_process import GatewayProcess
from tests.mocks.openai_upstream import MockOpenAI
from tests.services import REDIS_URL, require_redis


class Relay:
    """Forwards TCP connections to Redis until `cut()` closes every one of them."""

    def __init__(self, target: tuple[str, int]) -> None:
        self._target = target
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.port: int = self._listener.getsockname()[1]
        self._sockets: list[socket.socket] = []
        self._lock = threading.Lock()
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self._listener.accept()
                upstream = socket.create_connection(self._target)
            except OSError:
                return
            with self._lock:
                self._sockets += [client, upstream]
            for a, b in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pump, args=(a, b), daemon=True).start()

    @staticmethod
    def _pump(source: socket.socket, sink: socket.socket) -> None:
        try:
            while data := source.recv(65536):
                sink.sendall(data)
        except OSError:
            pass

    def cut(self) -> None:
        self._listener.close()
        with self._lock:
            for sock in self._sockets:
                with contextlib.suppress(OSError):
                    sock.shutdown(socket.SHUT_RDWR)
                sock.close()


@pytest.fixture
def relay() -> Iterator[Relay]:
    require_redis()
    host_port = REDIS_URL.split("//", 1)[1].split("/", 1)[0]
    host, _, port = host_port.rpartition(":")
    relay = Relay((host or "127.0.0.1", int(port or 6379)))
    yield relay
    relay.cut()


def _health(process: GatewayProcess) -> str:
    with urllib.request.urlopen(process.base_url + "/health", timeout=10) as response:
        counters: str = json.loads(response.read())["components"]["counters"]
    return counters


@pytest.mark.parametrize(("policy", "after"), [("refuse", 503), ("allow_local", 200)])
def test_redis_stopped_mid_run_follows_the_policy(
    relay: Relay, mock_upstream: MockOpenAI, tmp_path: Path, policy: str, after: int
) -> None:
    env = {
        "CLOVERLEAF_REDIS_URL": f"redis://127.0.0.1:{relay.port}/0",
        "CLOVERLEAF_COUNTERS_PREFIX": f"test-down-{tmp_path.name}",
        "CLOVERLEAF_COUNTERS_ON_REDIS_DOWN": policy,
    }
    with cluster("sqlite", tmp_path, mock_upstream.base_url, extra=env) as running:
        price(running.api, METERED, OUTPUT_PRICE)
        _, key = virtual_key(running.api, budget={"max_limit": 1, "reset_duration": "1h"})
        _, free = virtual_key(running.api)
        url = running.urls[0]
        assert chat(url, key, chat_body(f"openai/{METERED}")).status_code == 200
        assert _health(running.processes[0]) == "redis: ok"
        relay.cut()
        answer = chat(url, key, chat_body(f"openai/{METERED}"))
        assert answer.status_code == after, answer.text
        if after == 503:
            assert answer.json()["error"]["code"] == "counters_unavailable"
        # a key with no budget or rate limit needs no counters: served either way
        assert chat(url, free, chat_body("openai/gpt-4o-mini")).status_code == 200
        degraded = eventually(
            lambda: h if (h := _health(running.processes[0])) != "redis: ok" else None
        )
        assert "degraded" in degraded
        assert ("refused" if policy == "refuse" else "per instance") in degraded
