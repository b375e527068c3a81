"""The Bedrock mock must speak the real wire format: the official boto3 client is the judge.

Gateway tests trust this mock as "Bedrock"; if it drifted from what botocore signs and parses,
they would pass against a fiction. The last tests drive it the way the gateway will: a body from
the dialect, signed by our signer, the stream read by our decoder.
"""

# boto3/botocore ship no type information:
# mypy: disable-error-code="import-untyped"
from __future__ import annotations

import urllib.error
import urllib.request
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import boto3
import orjson
import pytest
from botocore.client import BaseClient
from botocore.config import Config
from botocore.exceptions import ClientError, EventStreamError

from cloverleaf.core.chat import ChatRequest, Message, TextPart, ToolCallDelta
from cloverleaf.formats.bedrock_converse.dialect import BedrockConverseDialect, converse_path
from cloverleaf.providers.aws_sigv4 import sign
from tests.formats.fixtures import merge_text
from tests.mocks.bedrock_upstream import (
    ACCESS_KEY,
    REGION,
    SECRET_KEY,
    Delay,
    Error,
    MockBedrock,
    RawBody,
    SlowStream,
    StreamError,
    Text,
    Thinking,
    ToolCalls,
)

MODEL = "anthropic.claude-3-haiku-20240307-v1:0"
HELLO: Any = [{"role": "user", "content": [{"text": "Hello there, world"}]}]
TOOLS: Any = {"tools": [{"toolSpec": {"name": "get_weather", "inputSchema": {"json": {}}}}]}


@pytest.fixture(scope="module")
def server() -> Iterator[MockBedrock]:
    with MockBedrock() as mock:
        yield mock


@pytest.fixture
def mock(server: MockBedrock) -> MockBedrock:
    server.reset()
    return server


def make_client(
    monkeypatch: pytest.MonkeyPatch, mock: MockBedrock, **credentials: str
) -> BaseClient:
    """Offline and deterministic: no config files, no retries, the test credentials."""
    monkeypatch.setenv("AWS_CONFIG_FILE", "/nonexistent/aws-config")
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent/aws-credentials")
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    for name in ("AWS_PROFILE", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    keys = {"aws_access_key_id": ACCESS_KEY, "aws_secret_access_key": SECRET_KEY, **credentials}
    config = Config(retries={"total_max_attempts": 1}, connect_timeout=5, read_timeout=10)
    return boto3.client(
        "bedrock-runtime",
        region_name=REGION,
        endpoint_url=mock.base_url,
        config=config,
        **keys,
    )


@pytest.fixture
def client(monkeypatch: pytest.MonkeyPatch, mock: MockBedrock) -> Iterator[BaseClient]:
    bedrock = make_client(monkeypatch, mock)
    yield bedrock
    bedrock.close()


def stream(client: BaseClient, **kwargs: Any) -> list[dict[str, Any]]:
    response = client.converse_stream(modelId=MODEL, messages=HELLO, **kwargs)
    events = response["stream"]
    try:
        return list(events)
    finally:
        events.close()


def test_converse_echoes_with_word_usage(mock: MockBedrock, client: BaseClient) -> None:
    system: Any = [{"text": "Be terse."}]
    response = client.converse(modelId=MODEL, messages=HELLO, system=system)
    assert response["output"]["message"] == {
        "role": "assistant",
        "content": [{"text": "echo: Hello there, world"}],
    }
    assert response["stopReason"] == "end_turn"
    assert response["usage"] == {"inputTokens": 5, "outputTokens": 4, "totalTokens": 9}
    request = mock.last_request
    assert request.raw_path == "/model/anthropic.claude-3-haiku-20240307-v1%3A0/converse"
    assert request.model_id == MODEL and request.json["system"] == system
    assert request.headers["authorization"].startswith(f"AWS4-HMAC-SHA256 Credential={ACCESS_KEY}/")


def test_converse_stream_is_a_botocore_event_stream(client: BaseClient) -> None:
    events = stream(client)
    assert events[0] == {"messageStart": {"role": "assistant"}}
    text = "".join(e["contentBlockDelta"]["delta"]["text"] for e in events[1:-3])
    assert text == "echo: Hello there, world"
    assert events[-3] == {"contentBlockStop": {"contentBlockIndex": 0}}
    assert events[-2] == {"messageStop": {"stopReason": "end_turn"}}
    assert events[-1]["metadata"]["usage"] == {
        "inputTokens": 3,
        "outputTokens": 4,
        "totalTokens": 7,
    }


def test_tool_use_both_ways(mock: MockBedrock, client: BaseClient) -> None:
    mock.enqueue(ToolCalls([("get_weather", '{"city": "Paris"}')], content="Checking."))
    response = client.converse(modelId=MODEL, messages=HELLO, toolConfig=TOOLS)
    content = response["output"]["message"]["content"]
    assert response["stopReason"] == "tool_use" and content[0] == {"text": "Checking."}
    assert content[1]["toolUse"]["toolUseId"].startswith("tooluse_")
    assert content[1]["toolUse"]["input"] == {"city": "Paris"}
    mock.enqueue(ToolCalls([("get_weather", '{"city": "Paris"}')]))
    events = stream(client, toolConfig=TOOLS)
    start = events[1]["contentBlockStart"]
    assert start["start"]["toolUse"]["name"] == "get_weather"
    pieces = [e["contentBlockDelta"]["delta"]["toolUse"]["input"] for e in events[2:-3]]
    assert len(pieces) > 1 and orjson.loads("".join(pieces)) == {"city": "Paris"}


def test_thinking_streams_reasoning_then_text(mock: MockBedrock, client: BaseClient) -> None:
    mock.enqueue(Thinking("Let me think.", "Yes."))
    deltas = [e["contentBlockDelta"] for e in stream(client) if "contentBlockDelta" in e]
    assert deltas[0] == {
        "contentBlockIndex": 0,
        "delta": {"reasoningContent": {"text": "Let me think."}},
    }
    assert deltas[1]["delta"]["reasoningContent"]["signature"]
    assert deltas[2] == {"contentBlockIndex": 1, "delta": {"text": "Yes."}}


def test_errors_are_client_errors_with_the_exception_code(
    mock: MockBedrock, client: BaseClient
) -> None:
    mock.enqueue(Error(429, "ThrottlingException", "Too many requests"))
    with pytest.raises(ClientError) as caught:
        client.converse(modelId=MODEL, messages=HELLO)
    assert caught.value.response["Error"] == {
        "Code": "ThrottlingException",
        "Message": "Too many requests",
    }
    assert caught.value.response["ResponseMetadata"]["HTTPStatusCode"] == 429
    assert len(mock.requests) == 1  # no retry
    bad: Any = [{"role": "assistant", "content": [{"text": "hi"}]}]
    with pytest.raises(ClientError) as invalid:
        client.converse(modelId=MODEL, messages=bad)
    assert invalid.value.response["Error"]["Code"] == "ValidationException"
    with pytest.raises(ClientError) as no_config:
        client.converse(
            modelId=MODEL,
            messages=[
                *HELLO,
                {
                    "role": "assistant",
                    "content": [{"toolUse": {"toolUseId": "t", "name": "f", "input": {}}}],
                },
                {
                    "role": "user",
                    "content": [{"toolResult": {"toolUseId": "t", "content": [{"text": "r"}]}}],
                },
            ],
        )
    assert "toolConfig" in no_config.value.response["Error"]["Message"]


def test_in_band_stream_exception(mock: MockBedrock, client: BaseClient) -> None:
    mock.enqueue(StreamError("throttlingException", "Too many tokens", after_text="Once"))
    response = client.converse_stream(modelId=MODEL, messages=HELLO)
    events = response["stream"]
    seen: list[dict[str, Any]] = []
    with pytest.raises(EventStreamError) as caught:
        seen.extend(events)
    events.close()
    assert seen[-1]["contentBlockDelta"]["delta"] == {"text": "Once"}
    assert caught.value.response["Error"] == {
        "Code": "throttlingException",
        "Message": "Too many tokens",
    }


@pytest.mark.parametrize(
    ("credentials", "code"),
    [
        ({"aws_secret_access_key": "wrong-secret"}, "InvalidSignatureException"),
        ({"aws_access_key_id": "AKIDSOMEONEELSE"}, "UnrecognizedClientException"),
        ({"aws_session_token": "unexpected"}, "UnrecognizedClientException"),
    ],
)
def test_bad_credentials_are_403(
    monkeypatch: pytest.MonkeyPatch, mock: MockBedrock, credentials: dict[str, str], code: str
) -> None:
    bedrock = make_client(monkeypatch, mock, **credentials)
    try:
        with pytest.raises(ClientError) as caught:
            bedrock.converse(modelId=MODEL, messages=HELLO)
    finally:
        bedrock.close()
    assert caught.value.response["Error"]["Code"] == code
    assert caught.value.response["ResponseMetadata"]["HTTPStatusCode"] == 403
    if code == "InvalidSignatureException":
        assert caught.value.response["Error"]["Message"].startswith(
            "The request signature we calculated does not match"
        )


def test_session_credentials(monkeypatch: pytest.MonkeyPatch) -> None:
    with MockBedrock(session_token="FQoGZXIvYXdzEXAMPLE") as mock:
        bedrock = make_client(monkeypatch, mock, aws_session_token="FQoGZXIvYXdzEXAMPLE")
        try:
            assert bedrock.converse(modelId=MODEL, messages=HELLO)["stopReason"] == "end_turn"
        finally:
            bedrock.close()
        assert mock.last_request.headers["x-amz-security-token"] == "FQoGZXIvYXdzEXAMPLE"


# -- the gateway's path: dialect body, our signer, our stream decoder ---------------------------

_OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}))


def gateway_call(mock: MockBedrock, model: str, stream: bool) -> tuple[int, bytes]:
    core = ChatRequest(model="alias", messages=(Message("user", (TextPart("hi gateway"),)),))
    body = orjson.dumps(BedrockConverseDialect().encode_request(core, model))
    url = mock.base_url + converse_path(model, stream)
    headers = {"Content-Type": "application/json"}
    added = sign(
        "POST", url, headers, body,
        access_key=ACCESS_KEY, secret_key=SECRET_KEY, region=REGION, now=datetime.now(UTC),
    )  # fmt: skip
    request = urllib.request.Request(url, data=body, headers={**headers, **dict(added)})
    try:
        with _OPENER.open(request, timeout=5) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as error:
        with error:
            return error.code, error.read()


@pytest.mark.parametrize(
    "model", [MODEL, "arn:aws:bedrock:us-east-1:123456789012:inference-profile/us.x-v1:0"]
)
def test_our_signer_and_codec_against_the_mock(mock: MockBedrock, model: str) -> None:
    status, body = gateway_call(mock, model, stream=False)
    assert status == 200, body
    assert BedrockConverseDialect().decode_response(body).message.text() == "echo: hi gateway"
    assert mock.last_request.model_id == model
    mock.enqueue(ToolCalls([("f", '{"a": [1, 2, 3]}'), ("g", "{}")]))
    status, raw = gateway_call(mock, model, stream=True)
    decoder = BedrockConverseDialect().stream_decoder()
    events = merge_text([*decoder.feed(raw), *decoder.close()])
    calls = [e for e in events if isinstance(e, ToolCallDelta)]
    assert [(c.index, c.name, orjson.loads(c.arguments)) for c in calls] == [
        (0, "f", {"a": [1, 2, 3]}),
        (1, "g", {}),
    ]


def test_scripted_delays_raw_bodies_and_disconnects(mock: MockBedrock) -> None:
    mock.enqueue(Delay(0.05, Text("late")), RawBody(200, b"not json"))
    assert orjson.loads(gateway_call(mock, MODEL, stream=False)[1])["output"]["message"][
        "content"
    ] == [{"text": "late"}]
    assert gateway_call(mock, MODEL, stream=False) == (200, b"not json")
    mock.enqueue(SlowStream(interval=0.05))
    url = mock.base_url + converse_path(MODEL, True)
    body = orjson.dumps({"messages": HELLO})
    added = sign(
        "POST",
        url,
        {},
        body,
        access_key=ACCESS_KEY,
        secret_key=SECRET_KEY,
        region=REGION,
        now=datetime.now(UTC),
    )
    with _OPENER.open(
        urllib.request.Request(url, data=body, headers=dict(added)), timeout=5
    ) as response:
        assert response.headers["content-type"] == "application/vnd.amazon.eventstream"
        assert response.read(40)
    assert mock.wait_for_disconnect(5)
    assert mock.wait_idle(5)
