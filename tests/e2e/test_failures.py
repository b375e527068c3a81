"""Upstream failures, slow clients and overload: the gateway's answers and its side effects."""

from __future__ import annotations

import http.client
import json
import socket
import threading
import time

import openai
import pytest
from openai.types.chat import ChatCompletionMessageParam

from tests.gateway_process import GatewayProcess
from tests.mocks.openai_upstream import Delay, Error, MockOpenAI, SlowStream

USER: list[ChatCompletionMessageParam] = [{"role": "user", "content": "hi"}]
BODY = b'{"model":"openai/gpt-4o","stream":true,"messages":[{"role":"user","content":"hi"}]}'


def post(
    port: int, body: bytes, timeout: float = 30
) -> tuple[http.client.HTTPConnection, http.client.HTTPResponse]:
    """A raw streaming POST: the caller reads as slowly as it likes and closes when it wants."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    conn.request("POST", "/v1/chat/completions", body, {"content-type": "application/json"})
    return conn, conn.getresponse()


def test_500_then_success_is_retried(client: openai.OpenAI, upstream: MockOpenAI) -> None:
    upstream.enqueue(Error(500, "boom"))
    completion = client.chat.completions.create(model="openai/gpt-4o", messages=USER)
    assert completion.choices[0].message.content == "echo: hi"
    assert len(upstream.requests) == 2


def test_persistent_5xx_becomes_502_with_the_providers_message(
    client: openai.OpenAI, upstream: MockOpenAI
) -> None:
    upstream.enqueue(*(Error(503, "overloaded upstream") for _ in range(3)))
    with pytest.raises(openai.APIStatusError) as caught:
        client.chat.completions.create(model="openai/gpt-4o", messages=USER)
    assert caught.value.status_code == 502
    assert "overloaded upstream" in caught.value.message
    assert len(upstream.requests) == 3  # first try + max_retries 2


def test_429_retry_after_is_honoured(client: openai.OpenAI, upstream: MockOpenAI) -> None:
    upstream.enqueue(Error(429, "slow down", headers={"Retry-After": "1"}))
    started = time.monotonic()
    completion = client.chat.completions.create(model="openai/gpt-4o", messages=USER)
    assert completion.choices[0].message.content == "echo: hi"
    assert time.monotonic() - started >= 0.95  # waited as the upstream asked
    assert len(upstream.requests) == 2


def test_429_with_a_long_retry_after_passes_through(
    client: openai.OpenAI, upstream: MockOpenAI
) -> None:
    upstream.enqueue(
        Error(429, "quota window", code="rate_limit_exceeded", headers={"Retry-After": "120"})
    )
    with pytest.raises(openai.RateLimitError) as caught:
        client.chat.completions.create(model="openai/gpt-4o", messages=USER)
    assert caught.value.response.headers["retry-after"] == "120"
    assert caught.value.code == "rate_limit_exceeded"
    assert "quota window" in caught.value.message
    assert len(upstream.requests) == 1


def test_upstream_4xx_passes_through_unretried(client: openai.OpenAI, upstream: MockOpenAI) -> None:
    upstream.enqueue(
        Error(400, "context too long", code="context_length_exceeded", param="messages")
    )
    with pytest.raises(openai.BadRequestError) as caught:
        client.chat.completions.create(model="openai/gpt-4o", messages=USER)
    assert caught.value.code == "context_length_exceeded" and caught.value.param == "messages"
    assert len(upstream.requests) == 1


def test_timeout_is_504_and_the_upstream_call_is_dropped(
    client: openai.OpenAI, upstream: MockOpenAI
) -> None:
    upstream.enqueue(Delay(30))
    with pytest.raises(openai.APIStatusError) as caught:
        client.chat.completions.create(model="openai/gpt-4o", messages=USER)
    assert caught.value.status_code == 504
    assert caught.value.code == "upstream_timeout"
    assert upstream.wait_for_disconnect(5)


def test_client_disconnect_mid_stream_closes_the_upstream(
    gateway: GatewayProcess, upstream: MockOpenAI
) -> None:
    upstream.enqueue(SlowStream(interval=0.05))
    conn, response = post(gateway.port, BODY)
    assert response.status == 200
    assert b"chat.completion.chunk" in response.readline()
    conn.close()
    assert upstream.wait_for_disconnect(5)


def test_client_disconnect_before_the_answer_cancels_the_call(
    gateway: GatewayProcess, upstream: MockOpenAI
) -> None:
    upstream.enqueue(Delay(30))
    body = BODY.replace(b'"stream":true', b'"stream":false')
    with socket.create_connection(("127.0.0.1", gateway.port)) as sock:
        sock.sendall(
            b"POST /v1/chat/completions HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\n"
            b"content-length: %d\r\n\r\n%s" % (len(body), body)
        )
        deadline = time.monotonic() + 5
        while upstream.active_requests == 0 and time.monotonic() < deadline:
            time.sleep(0.02)
    assert upstream.wait_for_disconnect(5)


def test_queue_overflow_is_an_immediate_429(gateway: GatewayProcess, upstream: MockOpenAI) -> None:
    """concurrency 2 + buffer 1: two streams in flight, one waiting, the fourth refused."""
    upstream.enqueue(*(SlowStream(interval=0.05, chunks=400) for _ in range(3)))
    release = threading.Event()
    opened: list[int] = []

    def hold_stream() -> None:
        conn, response = post(gateway.port, BODY)
        opened.append(response.status)
        release.wait(20)
        conn.close()

    holders = [threading.Thread(target=hold_stream) for _ in range(3)]
    for holder in holders:
        holder.start()
    try:
        deadline = time.monotonic() + 10
        while len(opened) < 2 and time.monotonic() < deadline:
            time.sleep(0.02)
        time.sleep(0.2)  # the third request is now queued inside the gateway
        conn, refused = post(gateway.port, BODY, timeout=10)
        assert refused.status == 429
        assert json.loads(refused.read())["error"]["code"] == "gateway_overloaded"
        assert refused.headers["retry-after"]
        conn.close()
    finally:
        release.set()
        for holder in holders:
            holder.join(30)
    assert opened == [200, 200, 200]  # the queued one got its turn
