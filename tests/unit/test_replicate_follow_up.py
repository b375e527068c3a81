"""Replicate's follow-up against the mock over real loopback HTTP: deadlines, cancels, and
which URLs it is willing to send the key to."""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import Iterator

import orjson
import pytest

from cloverleaf.core.errors import GatewayError
from cloverleaf.providers.replicate_predictions import PredictionFollowUp, _trusted
from cloverleaf.transport.base import NetworkProfile, UpstreamRequest, UpstreamResponse
from cloverleaf.transport.pyreqwest_transport import PyreqwestTransport
from tests.mocks.replicate_upstream import MockReplicate, Text

MODEL = "meta/meta-llama-3-70b-instruct"
PROFILE = NetworkProfile(timeout_s=5.0)


@pytest.fixture(scope="module")
def server() -> Iterator[MockReplicate]:
    with MockReplicate() as mock:
        yield mock


@pytest.fixture
def mock(server: MockReplicate) -> MockReplicate:
    server.reset()
    server.stream_base = None
    return server


def _create(mock: MockReplicate, stream: bool) -> UpstreamRequest:
    body = {"input": {"prompt": "x"}, **({"stream": True} if stream else {})}
    url = f"{mock.base_url}/v1/models/{MODEL}/predictions"
    headers = (("content-type", "application/json"), ("authorization", "Bearer r8_k"))
    return UpstreamRequest("POST", url, headers, orjson.dumps(body), PROFILE, stream=stream)


async def _run(follow_up: PredictionFollowUp, request: UpstreamRequest) -> bytes:
    transport = PyreqwestTransport()
    try:
        created: UpstreamResponse = await transport.send(request)
        try:
            answer = await follow_up(transport, request, created)
        finally:
            await created.aclose()
        try:
            return await answer.read()
        finally:
            await answer.aclose()
    finally:
        await transport.aclose()


def test_polling_gives_up_at_the_route_timeout_and_cancels(mock: MockReplicate) -> None:
    mock.enqueue(Text("never", wait=False, polls=1000))
    ticks = itertools.count(step=2.0)  # each clock reading is 2 s on: the 5 s run out at the 3rd
    slept: list[float] = []

    async def sleep(seconds: float) -> None:
        slept.append(seconds)

    follow_up = PredictionFollowUp(sleep=sleep, clock=lambda: float(next(ticks)))
    with pytest.raises(GatewayError) as caught:
        asyncio.run(_run(follow_up, _create(mock, stream=False)))
    assert (caught.value.status, caught.value.code) == (504, "upstream_timeout")
    assert slept == [0.25, 0.5]  # the doubling delay, cut to what is left of the timeout
    assert mock.requests[-1].method == "POST" and mock.requests[-1].path.endswith("/cancel")
    assert mock.wait_for_cancel(5)


def test_poll_delays_double_up_to_the_cap(mock: MockReplicate) -> None:
    mock.enqueue(Text("done at last", wait=False, polls=5))
    slept: list[float] = []

    async def sleep(seconds: float) -> None:
        slept.append(seconds)

    follow_up = PredictionFollowUp(first_delay_s=0.5, max_delay_s=1.5, sleep=sleep)
    body = asyncio.run(_run(follow_up, _create(mock, stream=False)))
    assert orjson.loads(body)["output"] == ["done", " at", " last"]
    assert slept == [0.5, 1.0, 1.5, 1.5, 1.5, 1.5]


def test_a_stream_url_on_a_foreign_host_is_not_followed(mock: MockReplicate) -> None:
    mock.stream_base = "http://127.0.0.2:9"
    with pytest.raises(GatewayError) as caught:
        asyncio.run(_run(PredictionFollowUp(), _create(mock, stream=True)))
    assert (caught.value.status, caught.value.code) == (502, "untrusted_prediction_url")
    assert [r.method for r in mock.requests] == ["POST"]  # no GET went anywhere


@pytest.mark.parametrize(
    ("url", "trusted"),
    [
        ("https://api.replicate.com/v1/predictions/x", True),
        ("https://stream.replicate.com/v1/files/abc", True),
        ("https://stream-b.svc.rno2.c.replicate.net/v1/streams/abc", True),
        ("http://stream.replicate.com/v1/files/abc", False),
        ("https://replicate.com.evil.example/v1", False),
        ("https://evilreplicate.com/v1", False),
    ],
)
def test_which_hosts_get_the_key(url: str, trusted: bool) -> None:
    create = UpstreamRequest("POST", "https://api.replicate.com/v1/predictions", (), b"", PROFILE)
    if trusted:
        assert _trusted(create, url, "get") == url
    else:
        with pytest.raises(GatewayError, match="not followed"):
            _trusted(create, url, "get")
