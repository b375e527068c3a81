"""OpenAI and Azure have a Responses endpoint of their own: the client's bytes go there and the
upstream's bytes come back unchanged, whole and streamed."""

from __future__ import annotations

import json

import httpx
import openai

from tests.e2e.responses.conftest import AZURE_VERSION, Mocks, post
from tests.gateway_process import GatewayProcess
from tests.mocks.azure_front import API_KEY


def _without_ids(answer: bytes) -> object:
    """A Responses answer with its random ids blanked, to compare two answers' bytes."""
    body = json.loads(answer)
    body["id"] = ""
    for item in body["output"]:
        item["id"] = ""
    return body


def test_the_upstream_gets_the_clients_bytes_and_the_client_gets_the_upstreams(
    gateway: GatewayProcess, upstreams: Mocks
) -> None:
    raw = b'{"model": "gpt-4o-mini",  "input": "bytes as sent", "store": true, "metadata": {"a": "b"}}'
    status, answer = post(gateway, "/v1/responses", raw)
    assert status == 200, answer
    seen = upstreams.openai.last_request
    assert (seen.path, seen.body) == ("/v1/responses", raw)
    assert seen.headers["authorization"] == "Bearer sk-oai"
    direct = httpx.post(upstreams.openai.base_url + "/v1/responses", content=raw, timeout=10)
    assert _without_ids(answer) == _without_ids(direct.content)
    assert answer.startswith(b'{"id":"resp_')  # the mock's own serialisation, not re-encoded


def test_the_sdk_reads_a_forwarded_answer(client: openai.OpenAI, upstreams: Mocks) -> None:
    answer = client.responses.create(model="openai/gpt-4o-mini", input="hello there")
    assert answer.output_text == "echo: hello there"
    assert answer.model == "gpt-4o-mini-2025-04-14"  # the upstream's own answer
    assert answer.usage is not None and answer.usage.total_tokens == 5
    assert upstreams.openai.last_request.json["model"] == "gpt-4o-mini"


def test_a_forwarded_stream_passes_through(client: openai.OpenAI, upstreams: Mocks) -> None:
    events = list(
        client.responses.create(model="openai/gpt-4o-mini", input="stream it", stream=True)
    )
    assert upstreams.openai.last_request.json["stream"] is True
    assert [e.sequence_number for e in events] == list(range(len(events)))
    assert events[-1].type == "response.completed"
    text = "".join(e.delta for e in events if e.type == "response.output_text.delta")
    assert text == "echo: stream it"
    with client.responses.stream(model="openai/gpt-4o-mini", input="helper too") as stream:
        final = stream.get_final_response()
    assert final.output_text == "echo: helper too"
    assert final.usage is not None and final.usage.output_tokens == 3


def test_azure_gets_the_v1_surface_with_the_deployment_as_model(
    client: openai.OpenAI, upstreams: Mocks
) -> None:
    answer = client.responses.create(model="azure/gpt-4o", input="hi azure")
    assert answer.output_text == "echo: hi azure"
    seen = upstreams.azure.last_request
    assert seen.path == "/v1/responses"  # what the front forwarded to the OpenAI mock
    assert seen.json["model"] == "my-gpt4o"
    assert seen.headers["api-key"] == API_KEY and "authorization" not in seen.headers
    assert upstreams.azure.calls[-1].api_version == "v1"  # no dated api-version on v1
    assert AZURE_VERSION not in seen.query
    events = list(client.responses.create(model="azure/gpt-4o", input="streamed", stream=True))
    assert events[-1].type == "response.completed"
    assert events[-1].response.output_text == "echo: streamed"


def test_fields_only_openai_honours_are_forwarded_to_openai(
    client: openai.OpenAI, upstreams: Mocks
) -> None:
    answer = client.responses.create(
        model="openai/gpt-4o-mini",
        input="still fine",
        previous_response_id="resp_earlier",
        tools=[{"type": "web_search"}],
    )
    assert answer.output_text == "echo: still fine"
    sent = upstreams.openai.last_request.json
    assert sent["previous_response_id"] == "resp_earlier"
    assert sent["tools"] == [{"type": "web_search"}]
