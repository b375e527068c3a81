"""The Vertex and identity mocks must satisfy the official SDKs: google-genai (vertexai=True) and
anthropic's AnthropicVertex, each authenticating with a real google-auth service account whose
token_uri is the identity mock. If these pass, gateway tests against the mocks test the real wire.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import anthropic
import orjson
import pytest
import urllib3
from google import genai
from google.auth.exceptions import RefreshError
from google.auth.transport.requests import Request
from google.genai import errors, types
from google.oauth2 import service_account as google_sa

from tests.mocks.anthropic_upstream import ToolCalls as ClaudeTools
from tests.mocks.gemini_upstream import ToolCalls
from tests.mocks.oauth_upstream import CLOUD_PLATFORM, MockIdentity, service_account
from tests.mocks.vertex_upstream import MockVertex

PROJECT, REGION = "test-project", "us-central1"


@pytest.fixture(scope="module")
def identity() -> Iterator[MockIdentity]:
    with MockIdentity() as mock:
        yield mock


@pytest.fixture(scope="module")
def account(identity: MockIdentity) -> dict[str, Any]:
    info, google = service_account(identity.token_uri)
    identity.google = google
    return info


@pytest.fixture(scope="module")
def vertex(identity: MockIdentity) -> Iterator[MockVertex]:
    with MockVertex(identity.accepts, project=PROJECT, region=REGION) as mock:
        yield mock


@pytest.fixture
def mock(vertex: MockVertex) -> MockVertex:
    vertex.reset()
    return vertex


def _credentials(info: dict[str, Any]) -> Any:
    make = google_sa.Credentials.from_service_account_info
    return make(info, scopes=[CLOUD_PLATFORM])  # type: ignore[no-untyped-call]


def _genai(mock: MockVertex, info: dict[str, Any]) -> genai.Client:
    return genai.Client(
        vertexai=True,
        project=PROJECT,
        location=REGION,
        credentials=_credentials(info),
        http_options=types.HttpOptions(base_url=mock.base_url),
    )


def _claude(mock: MockVertex, info: dict[str, Any]) -> anthropic.AnthropicVertex:
    return anthropic.AnthropicVertex(
        region=REGION,
        project_id=PROJECT,
        credentials=_credentials(info),
        base_url=mock.base_url + "/v1",
        max_retries=0,
    )


def test_genai_generates_and_streams_with_a_service_account(
    mock: MockVertex, identity: MockIdentity, account: dict[str, Any]
) -> None:
    with _genai(mock, account) as client:
        answer = client.models.generate_content(model="gemini-2.5-flash", contents="hi vertex")
        pieces = [
            c.text or ""
            for c in client.models.generate_content_stream(
                model="gemini-2.5-flash", contents="stream please"
            )
        ]
        counted = client.models.count_tokens(model="gemini-2.5-flash", contents="one two three")
    assert answer.text == "echo: hi vertex"
    assert "".join(pieces) == "echo: stream please"
    assert counted.total_tokens == 3
    paths = [r.path for r in mock.requests]
    assert paths[0].endswith(
        f"/projects/{PROJECT}/locations/{REGION}/publishers/google/models/gemini-2.5-flash:generateContent"
    )
    assert all(r.headers["authorization"].startswith("Bearer ya29.mock-") for r in mock.requests)


def test_genai_function_call_round_trip(mock: MockVertex, account: dict[str, Any]) -> None:
    mock.gemini.enqueue(ToolCalls([("get_weather", {"city": "Paris"})], ids=True))
    with _genai(mock, account) as client:
        first = client.models.generate_content(model="gemini-2.5-flash", contents="weather?")
        call = first.function_calls[0] if first.function_calls else None
        assert call is not None and call.name == "get_weather" and call.args == {"city": "Paris"}
        second = client.models.generate_content(
            model="gemini-2.5-flash",
            contents=[
                types.Content(role="user", parts=[types.Part(text="weather?")]),
                types.Content(role="model", parts=[types.Part(function_call=call)]),
                types.Content(
                    role="user",
                    parts=[
                        types.Part.from_function_response(name="get_weather", response={"t": 21})
                    ],
                ),
            ],
        )
    assert second.text == 'echo: get_weather: {"t":21}'


def test_anthropic_vertex_messages_and_stream(mock: MockVertex, account: dict[str, Any]) -> None:
    with _claude(mock, account) as client:
        message = client.messages.create(
            model="claude-mock-4", max_tokens=50, messages=[{"role": "user", "content": "hi"}]
        )
        with client.messages.stream(
            model="claude-mock-4", max_tokens=50, messages=[{"role": "user", "content": "go"}]
        ) as stream:
            text = "".join(stream.text_stream)
    assert message.content[0].type == "text" and message.content[0].text == "echo: hi"
    assert message.model == "claude-mock-4"
    assert text == "echo: go"
    first, second = mock.requests
    assert first.path.endswith("/publishers/anthropic/models/claude-mock-4:rawPredict")
    assert second.path.endswith(":streamRawPredict")
    assert "anthropic_version" in first.json and "model" not in first.json


def test_anthropic_vertex_count_tokens(mock: MockVertex, account: dict[str, Any]) -> None:
    """The official client's count call, then the same body without its model: refused."""
    ask: Any = [{"role": "user", "content": "three small words"}]
    with _claude(mock, account) as client:
        counted = client.messages.count_tokens(model="claude-mock-4", messages=ask)
    assert counted.input_tokens == 3
    [sent] = mock.requests
    assert sent.path == (
        f"/v1/projects/{PROJECT}/locations/{REGION}/publishers/anthropic/models/"
        "count-tokens:rawPredict"
    )
    assert sent.json["model"] == "claude-mock-4" and "anthropic_version" in sent.json
    body = {k: v for k, v in sent.json.items() if k != "model"}
    headers = {"authorization": sent.headers["authorization"]}
    answer = urllib3.request(
        "POST", mock.base_url + sent.path, body=orjson.dumps(body), headers=headers
    )
    assert answer.status == 400 and b"model: Field required" in answer.data


def test_anthropic_vertex_tool_use(mock: MockVertex, account: dict[str, Any]) -> None:
    mock.claude.enqueue(ClaudeTools([("get_weather", {"city": "Oslo"})]))
    with _claude(mock, account) as client:
        message = client.messages.create(
            model="claude-mock-4",
            max_tokens=50,
            tools=[{"name": "get_weather", "input_schema": {"type": "object"}}],
            messages=[{"role": "user", "content": "weather?"}],
        )
    block = message.content[0]
    assert block.type == "tool_use" and block.input == {"city": "Oslo"}


def test_bad_token_wrong_project_and_strict_bodies(
    mock: MockVertex, account: dict[str, Any]
) -> None:
    with (
        pytest.raises(errors.ClientError) as caught,
        genai.Client(
            vertexai=True,
            project="someone-else",
            location=REGION,
            credentials=_credentials(account),
            http_options=types.HttpOptions(base_url=mock.base_url),
        ) as client,
    ):
        client.models.generate_content(model="gemini-2.5-flash", contents="hi")
    assert caught.value.code == 403
    with (
        anthropic.AnthropicVertex(
            region=REGION,
            project_id=PROJECT,
            access_token="forged",
            base_url=mock.base_url + "/v1",
            max_retries=0,
        ) as client,
        pytest.raises(anthropic.AuthenticationError),
    ):
        client.messages.create(
            model="claude-mock-4", max_tokens=5, messages=[{"role": "user", "content": "x"}]
        )
    token = mock.requests[0].headers["authorization"]
    url = (
        mock.base_url
        + f"/v1/projects/{PROJECT}/locations/{REGION}/publishers/anthropic/models/claude-x:rawPredict"
    )
    body = {"model": "claude-x", "max_tokens": 5, "messages": [{"role": "user", "content": "x"}]}
    answer = urllib3.request("POST", url, body=orjson.dumps(body), headers={"authorization": token})
    assert answer.status == 400 and b"anthropic_version" in answer.data


def test_identity_mock_refuses_a_forged_assertion(
    identity: MockIdentity, account: dict[str, Any]
) -> None:
    other, _ = service_account(identity.token_uri, email=account["client_email"])
    with pytest.raises(RefreshError, match="invalid_grant"):
        _credentials(other).refresh(Request())
