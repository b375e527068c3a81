"""Failures: upstream errors in the client's error shape, and a client that walks away."""

from __future__ import annotations

from typing import Any

import openai
import orjson
import pytest

from tests.conformance.case import Case, Run, user
from tests.conformance.client import post_and_leave, wait_until

#: a gateway that closes its upstream does so within milliseconds of the client leaving
DISCONNECT_WAIT_S = 3.0


def error_4xx(run: Run) -> None:
    """A client error is the client's to fix: same status class, upstream's words, no retry."""
    run.wire.error(400, "conformance: the prompt is malformed")
    with pytest.raises(openai.APIStatusError) as caught:
        run.ask(messages=user("Hi"))
    error = caught.value
    assert 400 <= error.status_code < 500
    assert "conformance: the prompt is malformed" in error.message
    assert isinstance(error.body, dict) and isinstance(error.body.get("message"), str)
    run.only_request()


def error_5xx(run: Run) -> None:
    """A server error is retried (one retry is configured), then reported as 502."""
    run.wire.error(500, "conformance: upstream fell over")
    run.wire.error(500, "conformance: upstream fell over")
    with pytest.raises(openai.APIStatusError) as caught:
        run.ask(messages=user("Hi"))
    error = caught.value
    assert error.status_code == 502
    assert "conformance: upstream fell over" in error.message
    assert isinstance(error.body, dict) and isinstance(error.body.get("message"), str)
    assert run.wire.request_count() == 2
    assert [run.wire.streamed(i) for i in range(2)] == [run.stream] * 2


def disconnect(run: Run) -> None:
    """The client leaves mid-answer: the gateway must close its upstream connection too."""
    run.wire.hang(run.stream)
    if run.stream:
        messages: Any = user("Talk forever")
        chunks = run.sdk.chat.completions.create(
            model=run.target.model, messages=messages, stream=True
        )
        with chunks:
            first = next(iter(chunks))
            assert first.choices or first.usage is not None
    else:
        body = orjson.dumps({"model": run.target.model, "messages": user("Take your time")})
        post_and_leave(run.gateway.port, body, lambda: run.wire.request_count() == 1)
    assert run.wire.wait_for_disconnect(DISCONNECT_WAIT_S)
    wait_until(lambda: run.wire.request_count() == 1)
    assert run.wire.streamed(0) is run.stream


CASES = (
    Case("error_4xx", error_4xx),
    Case("error_5xx", error_5xx),
    Case("disconnect", disconnect),
)
