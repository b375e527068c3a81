"""Providers without a Responses endpoint (Anthropic, Gemini) answer Responses clients by
translation through the chat pipeline: whole, streamed, with tools, reasoning and limits."""

from __future__ import annotations

from typing import Any

import openai
import pytest
from openai.types.responses import Response

from tests.e2e.responses.conftest import Mocks, post_json
from tests.gateway_process import GatewayProcess
from tests.mocks import anthropic_upstream, gemini_upstream

WEATHER: Any = {
    "type": "function",
    "name": "get_weather",
    "description": "The weather in a city",
    "parameters": {
        "type": "object",
        "properties": {"city": {"type": "string"}},
        "required": ["city"],
    },
}
MODELS = ["anthropic/claude-mock", "gemini/gemini-2.5-flash"]


@pytest.mark.parametrize("model", MODELS)
def test_a_whole_answer(client: openai.OpenAI, upstreams: Mocks, model: str) -> None:
    answer = client.responses.create(
        model=model, input="hello there", instructions="be brief", max_output_tokens=64
    )
    assert answer.object == "response" and answer.id.startswith("resp_")
    assert answer.status == "completed"
    assert answer.output_text == "echo: hello there"
    assert answer.instructions == "be brief" and answer.max_output_tokens == 64
    usage = answer.usage
    assert usage is not None and usage.input_tokens > 0 and usage.output_tokens == 3
    assert usage.total_tokens == usage.input_tokens + usage.output_tokens


@pytest.mark.parametrize("model", MODELS)
def test_a_stream(client: openai.OpenAI, upstreams: Mocks, model: str) -> None:
    events = list(client.responses.create(model=model, input="stream this please", stream=True))
    kinds = [e.type for e in events]
    assert kinds[:2] == ["response.created", "response.in_progress"]
    assert kinds[-1] == "response.completed"
    assert [e.sequence_number for e in events] == list(range(len(events)))
    text = "".join(e.delta for e in events if e.type == "response.output_text.delta")
    assert text == "echo: stream this please"
    final = events[-1]
    assert final.type == "response.completed"
    assert final.response.usage is not None and final.response.usage.output_tokens == 4
    with client.responses.stream(model=model, input="helper") as stream:
        answer = stream.get_final_response()
    assert answer.output_text == "echo: helper"


def test_anthropic_gets_the_turns_as_messages(client: openai.OpenAI, upstreams: Mocks) -> None:
    client.responses.create(
        model="anthropic/claude-mock",
        instructions="sys",
        input=[{"role": "user", "content": [{"type": "input_text", "text": "hi"}]}],
        max_output_tokens=50,
        temperature=0.5,
    )
    sent = upstreams.anthropic.requests[-1].json
    assert sent["system"] in ("sys", [{"type": "text", "text": "sys"}])
    assert sent["messages"] == [{"role": "user", "content": [{"type": "text", "text": "hi"}]}]
    assert (sent["max_tokens"], sent["temperature"]) == (50, 0.5)


@pytest.mark.parametrize("stream", [False, True])
def test_a_function_tool_round_trip(client: openai.OpenAI, upstreams: Mocks, stream: bool) -> None:
    upstreams.anthropic.enqueue(anthropic_upstream.ToolCalls([("get_weather", {"city": "Paris"})]))
    model = "anthropic/claude-mock"
    ask: Any = {"role": "user", "content": "weather in Paris?"}
    first: Response
    if stream:
        with client.responses.stream(model=model, input=[ask], tools=[WEATHER]) as events:
            first = events.get_final_response()
    else:
        first = client.responses.create(model=model, input=[ask], tools=[WEATHER])
    call = first.output[-1]
    assert call.type == "function_call" and call.name == "get_weather"
    assert call.arguments == '{"city":"Paris"}' and call.call_id
    sent = upstreams.anthropic.requests[-1].json
    assert sent["tools"][0]["name"] == "get_weather"
    second = client.responses.create(
        model=model,
        input=[
            ask,
            {
                "type": "function_call",
                "call_id": call.call_id,
                "name": call.name,
                "arguments": call.arguments,
            },
            {"type": "function_call_output", "call_id": call.call_id, "output": "sunny"},
        ],
        tools=[WEATHER],
    )
    assert second.output_text == "echo: sunny"  # the mock echoes the tool result
    turns = upstreams.anthropic.requests[-1].json["messages"]
    tool_use = turns[1]["content"][-1]
    tool_result = turns[2]["content"][0]
    assert (tool_use["type"], tool_use["input"]) == ("tool_use", {"city": "Paris"})
    assert tool_result["type"] == "tool_result"
    assert tool_result["tool_use_id"] == tool_use["id"]


def test_gemini_calls_a_function(client: openai.OpenAI, upstreams: Mocks) -> None:
    upstreams.gemini.enqueue(gemini_upstream.ToolCalls([("get_weather", {"city": "Rome"})]))
    answer = client.responses.create(
        model="gemini/gemini-2.5-flash", input="weather in Rome?", tools=[WEATHER]
    )
    call = answer.output[-1]
    assert call.type == "function_call" and call.arguments == '{"city":"Rome"}'


def test_reasoning_is_a_reasoning_item_that_goes_back(
    client: openai.OpenAI, upstreams: Mocks
) -> None:
    thinking = anthropic_upstream.Thinking("deep thought", then=anthropic_upstream.Text("done"))
    upstreams.anthropic.enqueue(thinking)
    model = "anthropic/claude-mock"
    answer = client.responses.create(
        model=model, input="think", reasoning={"effort": "low"}, max_output_tokens=4096
    )
    reasoning, message = answer.output
    assert reasoning.type == "reasoning"
    assert [s.text for s in reasoning.summary] == ["deep thought"]
    assert reasoning.encrypted_content == thinking.signature
    assert answer.output_text == "done"
    assert upstreams.anthropic.requests[-1].json["thinking"]["type"] in ("enabled", "adaptive")
    upstreams.anthropic.enqueue(thinking)
    events = list(
        client.responses.create(
            model=model,
            input="think",
            reasoning={"effort": "low"},
            max_output_tokens=4096,
            stream=True,
        )
    )
    summary = "".join(e.delta for e in events if e.type == "response.reasoning_summary_text.delta")
    assert summary == "deep thought"
    history_items: Any = [
        {"role": "user", "content": "think"},
        reasoning.model_dump(exclude_none=True),
        message.model_dump(exclude_none=True),
        {"role": "user", "content": "again"},
    ]
    client.responses.create(
        model=model,
        input=history_items,
        reasoning={"effort": "low"},
        max_output_tokens=4096,
    )
    history = upstreams.anthropic.requests[-1].json["messages"][1]["content"]
    assert history[0] == {
        "type": "thinking",
        "thinking": "deep thought",
        "signature": thinking.signature,
    }


@pytest.mark.parametrize("stream", [False, True])
def test_max_output_tokens_makes_the_answer_incomplete(
    client: openai.OpenAI, upstreams: Mocks, stream: bool
) -> None:
    upstreams.anthropic.enqueue(anthropic_upstream.Text("cut sho", stop_reason="max_tokens"))
    model = "anthropic/claude-mock"
    if stream:
        events = list(
            client.responses.create(model=model, input="long", max_output_tokens=16, stream=True)
        )
        assert events[-1].type == "response.incomplete"
        answer = events[-1].response
    else:
        answer = client.responses.create(model=model, input="long", max_output_tokens=16)
    assert upstreams.anthropic.requests[-1].json["max_tokens"] == 16
    assert answer.status == "incomplete"
    assert answer.incomplete_details is not None
    assert answer.incomplete_details.reason == "max_output_tokens"
    assert answer.output_text == "cut sho"


@pytest.mark.parametrize(
    ("extra", "param"),
    [
        ({"previous_response_id": "resp_1"}, "previous_response_id"),
        ({"conversation": "conv_1"}, "conversation"),
        ({"background": True}, "background"),
        ({"tools": [{"type": "web_search"}]}, "tools[0].type"),
        ({"tools": [{"type": "code_interpreter", "container": {"type": "auto"}}]}, "tools[0].type"),
        ({"prompt": {"id": "pmpt_1"}}, "prompt"),
    ],
)
def test_what_a_translated_target_cannot_do_is_a_400_naming_it(
    client: openai.OpenAI, upstreams: Mocks, extra: dict[str, Any], param: str
) -> None:
    with pytest.raises(openai.BadRequestError) as raised:
        client.responses.create(model="anthropic/claude-mock", input="hi", extra_body=extra)
    assert raised.value.param == param
    body: Any = raised.value.body
    assert body["code"] == "unsupported_parameter"
    assert upstreams.anthropic.requests == []  # refused before any call


def test_store_is_accepted_and_nothing_is_stored(client: openai.OpenAI, upstreams: Mocks) -> None:
    answer = client.responses.create(
        model="anthropic/claude-mock", input="hi", store=True, metadata={"k": "v"}
    )
    assert answer.to_dict()["store"] is False and answer.metadata == {"k": "v"}


@pytest.mark.parametrize(
    ("body", "param"),
    [({"input": "hi"}, "model"), ({"model": "anthropic/claude-mock"}, "input")],
)
def test_missing_model_or_input_is_an_openai_400(
    gateway: GatewayProcess, upstreams: Mocks, body: dict[str, Any], param: str
) -> None:
    status, error = post_json(gateway, "/v1/responses", body)
    assert status == 400
    assert error["error"]["param"] == param and error["error"]["type"] == "invalid_request_error"
    assert error["extra_fields"]["request_type"] == "responses"


def test_a_json_schema_format_reaches_the_provider(client: openai.OpenAI, upstreams: Mocks) -> None:
    schema = {"type": "object", "properties": {"a": {"type": "string"}}, "required": ["a"]}
    fmt: Any = {"type": "json_schema", "name": "thing", "schema": schema, "strict": True}
    client.responses.create(model="gemini/gemini-2.5-flash", input="json", text={"format": fmt})
    config = upstreams.gemini.requests[-1].json["generationConfig"]
    assert config["responseMimeType"] == "application/json"
    client.responses.create(model="anthropic/claude-mock", input="json", text={"format": fmt})
    sent = upstreams.anthropic.requests[-1].json["output_config"]["format"]
    assert sent == {"type": "json_schema", "schema": schema}


def test_a_failure_mid_stream_is_an_error_then_response_failed(
    client: openai.OpenAI, upstreams: Mocks
) -> None:
    failure = anthropic_upstream.Error(529, "overloaded mid-way", in_stream=True, before="part")
    upstreams.anthropic.enqueue(failure)
    events = list(client.responses.create(model="anthropic/claude-mock", input="hi", stream=True))
    text = "".join(e.delta for e in events if e.type == "response.output_text.delta")
    assert text == "part"
    error, failed = events[-2:]
    assert error.type == "error" and "overloaded mid-way" in error.message
    assert failed.type == "response.failed" and failed.response.status == "failed"
    assert failed.response.error is not None
    assert "overloaded mid-way" in failed.response.error.message
