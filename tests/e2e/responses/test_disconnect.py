"""A client that leaves a Responses stream closes the upstream call."""

from __future__ import annotations

import json
import socket

from tests.e2e.responses.conftest import Mocks
from tests.gateway_process import GatewayProcess
from tests.mocks import anthropic_upstream


def _send(gateway: GatewayProcess, body: dict[str, object]) -> socket.socket:
    raw = json.dumps(body).encode()
    sock = socket.create_connection(("127.0.0.1", gateway.port))
    sock.sendall(
        b"POST /v1/responses HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\n"
        b"content-length: %d\r\n\r\n%s" % (len(raw), raw)
    )
    return sock


def test_leaving_mid_stream_closes_the_upstream(gateway: GatewayProcess, upstreams: Mocks) -> None:
    upstreams.anthropic.enqueue(anthropic_upstream.SlowStream(interval=0.05))
    body = {"model": "anthropic/claude-mock", "input": "slow", "stream": True}
    with _send(gateway, body) as sock:
        seen = b""
        while b"response.output_text.delta" not in seen:
            chunk = sock.recv(65536)
            assert chunk, seen
            seen += chunk
    assert upstreams.anthropic.wait_for_disconnect(5)
