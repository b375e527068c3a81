"""Bounded concurrency and the normalisation of upstream error bodies."""

from __future__ import annotations

import asyncio

import orjson
import pytest

from cloverleaf.core.errors import GatewayError
from cloverleaf.formats.openai_chat.errors import render_error, upstream_error
from cloverleaf.routing.limiter import ConcurrencyLimiter


def test_limiter_queues_then_refuses() -> None:
    async def scenario() -> None:
        limiter = ConcurrencyLimiter("p", concurrency=2, buffer_size=1)
        await limiter.acquire()
        await limiter.acquire()
        waiter = asyncio.create_task(limiter.acquire())
        await asyncio.sleep(0)
        assert limiter.waiting == 1
        with pytest.raises(GatewayError) as caught:
            await limiter.acquire()
        assert caught.value.status == 429
        limiter.release()
        await waiter  # got the released slot
        assert limiter.in_flight == 2 and limiter.waiting == 0
        limiter.release()
        limiter.release()
        assert limiter.in_flight == 0

    asyncio.run(scenario())


def test_cancelled_waiter_leaves_the_queue() -> None:
    async def scenario() -> None:
        limiter = ConcurrencyLimiter("p", concurrency=1, buffer_size=5)
        await limiter.acquire()
        waiter = asyncio.create_task(limiter.acquire())
        await asyncio.sleep(0)
        waiter.cancel()
        with pytest.raises(asyncio.CancelledError):
            await waiter
        assert limiter.waiting == 0
        limiter.release()
        assert limiter.in_flight == 0

    asyncio.run(scenario())


@pytest.mark.parametrize(
    ("body", "message", "code"),
    [
        (
            b'{"error":{"message":"bad key","type":"invalid_request_error","code":"invalid_api_key"}}',
            "bad key",
            "invalid_api_key",
        ),
        (b'{"error":"plain text"}', "plain text", None),
        (
            b'{"object":"error","message":"vllm says no","type":"BadRequestError","code":400}',
            "vllm says no",
            "400",
        ),
        (b'{"error":{"code":402,"message":"no credits"}}', "no credits", "402"),
        (b'{"fault":{"faultstring":"denied"}}', "denied", None),
        (b'{"detail":[{"loc":["body","x"],"msg":"extra"}]}', "extra", None),
        (b"<html>gateway down</html>", "gateway down", None),
    ],
)
def test_upstream_error_shapes(body: bytes, message: str, code: str | None) -> None:
    error = upstream_error(400, body, "p")
    assert message in error.message
    assert error.code == code
    error.model = "p/m"
    rendered = orjson.loads(render_error(error))
    assert rendered["error"]["message"] == error.message
    assert rendered["status_code"] == 400
    assert rendered["extra_fields"] == {"provider": "p", "model_requested": "p/m"}
