"""Replicate through a real gateway: OpenAI and Anthropic clients → the predictions API."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import anthropic
import openai
import orjson
import pytest

from tests.gateway_process import GatewayProcess
from tests.mocks.replicate_upstream import Error, Failed, MockReplicate, NoStream, Text

MODEL = "meta/meta-llama-3-70b-instruct"
VERSION = "02e509c789964a7ea8736978a43525956ef40397be9033abf9fd2badfe68c9e3"
USER: Any = [{"role": "user", "content": "hi replicate"}]


@pytest.fixture(scope="module")
def server() -> Iterator[MockReplicate]:
    with MockReplicate() as mock:
        yield mock


@pytest.fixture
def mock(server: MockReplicate) -> MockReplicate:
    server.reset()
    return server


@pytest.fixture(scope="module")
def gateway(
    server: MockReplicate, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[GatewayProcess]:
    network = {"base_url": server.base_url, "default_request_timeout_in_seconds": 10}
    deploy_key = {"value": "r8_deploy", "replicate_key_config": {"use_deployments_endpoint": True}}
    config = {
        "providers": {
            "replicate": {"keys": [{"value": "r8_gateway"}], "network_config": network},
            "replicate-deploy": {
                "custom_provider_config": {"base_provider_type": "replicate"},
                "keys": [deploy_key],
                "network_config": network,
            },
        }
    }
    with GatewayProcess(tmp_path_factory.mktemp("replicate"), config) as process:
        yield process


@pytest.fixture
def sdk(gateway: GatewayProcess, mock: MockReplicate) -> Iterator[openai.OpenAI]:
    with openai.OpenAI(base_url=gateway.base_url + "/v1", api_key="x", max_retries=0) as client:
        yield client


def _creates(mock: MockReplicate) -> list[Any]:
    return [r for r in mock.requests if r.method == "POST" and not r.path.endswith("/cancel")]


def test_openai_non_stream_waits_on_the_create(mock: MockReplicate, sdk: openai.OpenAI) -> None:
    answer = sdk.chat.completions.create(
        model=f"replicate/{MODEL}",
        messages=[{"role": "system", "content": "Be brief."}, *USER],
        max_tokens=50,
    )
    assert answer.choices[0].message.content == "echo: hi replicate"
    assert answer.choices[0].finish_reason == "stop"
    assert answer.usage is not None
    assert (answer.usage.prompt_tokens, answer.usage.completion_tokens) == (4, 3)
    (create,) = mock.requests
    assert create.path == f"/v1/models/{MODEL}/predictions" and create.headers["prefer"] == "wait"
    assert create.headers["authorization"] == "Bearer r8_gateway"
    assert create.json == {
        "input": {
            "prompt": "hi replicate",
            "system_prompt": "Be brief.",
            "max_tokens": 50,
            "max_new_tokens": 50,
        }
    }


def test_openai_non_stream_polls_until_succeeded(mock: MockReplicate, sdk: openai.OpenAI) -> None:
    mock.enqueue(Text("polled answer", wait=False, polls=2))
    answer = sdk.chat.completions.create(model=f"replicate/{MODEL}", messages=USER)
    assert answer.choices[0].message.content == "polled answer"
    gets = [r for r in mock.requests if r.method == "GET"]
    assert len(gets) == 3 and all(g.headers["authorization"] == "Bearer r8_gateway" for g in gets)
    assert "prefer" not in gets[0].headers


def test_openai_stream_reads_the_event_stream(mock: MockReplicate, sdk: openai.OpenAI) -> None:
    mock.enqueue(Text("streamed\ntwo lines"))
    with sdk.chat.completions.create(
        model=f"replicate/{MODEL}", messages=USER, stream=True
    ) as stream:
        chunks = list(stream)
    assert "".join(c.choices[0].delta.content or "" for c in chunks if c.choices) == (
        "streamed\ntwo lines"
    )
    assert chunks[-1].choices[0].finish_reason == "stop"
    create, opened = mock.requests
    assert create.json["stream"] is True and "prefer" not in create.headers
    assert opened.method == "GET" and opened.path.startswith("/v1/streams/")
    assert opened.headers["accept"] == "text/event-stream"
    assert opened.headers["authorization"] == "Bearer r8_gateway"


@pytest.mark.parametrize("stream", [False, True])
def test_anthropic_client(gateway: GatewayProcess, mock: MockReplicate, stream: bool) -> None:
    with anthropic.Anthropic(base_url=gateway.base_url, api_key="x", max_retries=0) as client:
        kwargs: dict[str, Any] = {
            "model": f"replicate/{MODEL}",
            "max_tokens": 50,
            "system": "Be kind.",
            "messages": [
                {"role": "user", "content": "My name is Ada."},
                {"role": "assistant", "content": "Hello Ada."},
                {"role": "user", "content": "Name?"},
            ],
        }
        if stream:
            with client.messages.stream(**kwargs) as events:
                message = events.get_final_message()
        else:
            message = client.messages.create(**kwargs)
    expected = "echo: User: My name is Ada.\n\nAssistant: Hello Ada.\n\nUser: Name?"
    assert "".join(b.text for b in message.content if b.type == "text") == expected
    assert _creates(mock)[0].json["input"]["system_prompt"] == "Be kind."


def test_stream_of_a_model_without_streaming_output(
    mock: MockReplicate, sdk: openai.OpenAI
) -> None:
    mock.enqueue(NoStream("whole answer"))
    with sdk.chat.completions.create(
        model=f"replicate/{MODEL}", messages=USER, stream=True
    ) as stream:
        text = "".join(c.choices[0].delta.content or "" for c in stream if c.choices)
    assert text == "whole answer"


def test_versioned_and_deployment_paths(mock: MockReplicate, sdk: openai.OpenAI) -> None:
    sdk.chat.completions.create(model=f"replicate/meta/llama-2:{VERSION}", messages=USER)
    assert mock.last_request.path == "/v1/predictions"
    assert mock.last_request.json["version"] == VERSION
    answer = sdk.chat.completions.create(model="replicate-deploy/acme/my-llm", messages=USER)
    assert answer.choices[0].message.content == "echo: hi replicate"
    assert mock.last_request.path == "/v1/deployments/acme/my-llm/predictions"
    assert mock.last_request.headers["authorization"] == "Bearer r8_deploy"


def test_failed_prediction_is_an_error_in_each_dialect(
    gateway: GatewayProcess, mock: MockReplicate, sdk: openai.OpenAI
) -> None:
    mock.enqueue(Failed("CUDA out of memory", wait=False), Failed("CUDA out of memory"))
    with pytest.raises(openai.APIStatusError) as caught:
        sdk.chat.completions.create(model=f"replicate/{MODEL}", messages=USER)
    assert caught.value.status_code == 502
    error = orjson.loads(caught.value.response.content)["error"]
    assert (error["message"], error["code"]) == ("CUDA out of memory", "prediction_failed")
    client = anthropic.Anthropic(base_url=gateway.base_url, api_key="x", max_retries=0)
    with client, pytest.raises(anthropic.APIStatusError) as failed:
        client.messages.create(model=f"replicate/{MODEL}", max_tokens=9, messages=USER)
    body = orjson.loads(failed.value.response.content)
    assert failed.value.status_code == 502 and body["type"] == "error"
    assert body["error"]["message"] == "CUDA out of memory"


def test_failure_inside_the_stream(mock: MockReplicate, sdk: openai.OpenAI) -> None:
    mock.enqueue(Failed("ran out of memory", text="partial answer"))
    seen: list[str] = []
    stream = sdk.chat.completions.create(model=f"replicate/{MODEL}", messages=USER, stream=True)
    with pytest.raises(openai.APIError, match="ran out of memory"), stream:
        seen.extend(c.choices[0].delta.content or "" for c in stream if c.choices)
    assert "".join(seen) == "partial answer"
    # the gateway stopped reading before the upstream's end: it cancels (a no-op once failed)
    assert mock.wait_for_cancel(10)


def test_tools_are_refused_naming_the_parameter(mock: MockReplicate, sdk: openai.OpenAI) -> None:
    tools: Any = [{"type": "function", "function": {"name": "f", "parameters": {}}}]
    with pytest.raises(openai.BadRequestError) as caught:
        sdk.chat.completions.create(model=f"replicate/{MODEL}", messages=USER, tools=tools)
    assert orjson.loads(caught.value.response.content)["error"]["param"] == "tools"
    assert mock.requests == []


def test_upstream_problem_json_and_rate_limits(mock: MockReplicate, sdk: openai.OpenAI) -> None:
    mock.enqueue(Error(429, "Request was throttled.", "Request was throttled.", retry_after="7"))
    with pytest.raises(openai.RateLimitError) as caught:
        sdk.chat.completions.create(model=f"replicate/{MODEL}", messages=USER)
    assert caught.value.response.headers["retry-after"] == "7"
    assert orjson.loads(caught.value.response.content)["error"]["message"] == (
        "Request was throttled."
    )


def test_client_leaving_a_stream_cancels_the_prediction(
    mock: MockReplicate, sdk: openai.OpenAI
) -> None:
    mock.enqueue(Text("tick " * 400, interval=0.01))
    with sdk.chat.completions.create(
        model=f"replicate/{MODEL}", messages=USER, stream=True
    ) as stream:
        first = next(iter(stream))
    assert first is not None
    assert mock.wait_for_cancel(10)
