"""Request features each upstream names its own way: tools, tool results, JSON output,
reasoning, and the token usage that comes back."""

from __future__ import annotations

import json
from typing import Any

from cloverleaf.providers.chat_adapters import Capability
from tests.conformance.case import TOOLS, Case, Run, user
from tests.e2e.dialects.clients import QUESTION
from tests.e2e.dialects.upstreams import WEATHER_ARGS


def tools(run: Run) -> None:
    run.wire.tool_call("get_weather", WEATHER_ARGS)
    answer = run.ask(messages=user(QUESTION), tools=TOOLS)
    offered = run.wire.tools(run.only_request())
    assert list(offered) == ["get_weather"]
    schema = offered["get_weather"]
    assert list(schema["properties"]) == ["city"] and schema["required"] == ["city"]
    assert str(schema["properties"]["city"]["type"]).lower() == "string"
    assert answer.tool_calls == [("get_weather", WEATHER_ARGS)]
    assert answer.finish_reason == "tool_calls"


def tool_result(run: Run) -> None:
    run.wire.text("It is 18C and sunny in Paris.")
    call = {"name": "get_weather", "arguments": json.dumps(WEATHER_ARGS)}
    messages: list[Any] = [
        *user(QUESTION),
        {"role": "assistant", "content": None,
         "tool_calls": [{"id": "call_1", "type": "function", "function": call}]},
        {"role": "tool", "tool_call_id": "call_1", "content": "18C sunny"},
    ]  # fmt: skip
    answer = run.ask(messages=messages, tools=TOOLS)
    body = run.only_request()
    assert run.wire.assistant_calls(body) == [("get_weather", WEATHER_ARGS)]
    [result] = run.wire.tool_results(body)
    assert "18C sunny" in result.text
    assert result.call_id == "call_1" or result.name == "get_weather", result
    assert answer.text == "It is 18C and sunny in Paris."


SCHEMA = {
    "type": "object",
    "properties": {"city": {"type": "string"}},
    "required": ["city"],
    "additionalProperties": False,
}


def json_schema(run: Run) -> None:
    run.wire.text('{"city": "Paris"}')
    spec = {"name": "place", "schema": SCHEMA, "strict": True}
    fmt = {"type": "json_schema", "json_schema": spec}
    answer = run.ask(messages=user("Where?"), response_format=fmt)
    requested = run.wire.json_output(run.only_request())
    assert requested is not None and requested[0] == "json_schema", requested
    schema = requested[1] or {}
    assert list(schema["properties"]) == ["city"] and schema["required"] == ["city"]
    assert json.loads(answer.text) == {"city": "Paris"}


def json_object(run: Run) -> None:
    run.wire.text('{"city": "Paris"}')
    answer = run.ask(messages=user("Where? JSON."), response_format={"type": "json_object"})
    assert run.wire.json_output(run.only_request()) == ("json_object", None)
    assert json.loads(answer.text) == {"city": "Paris"}


def reasoning(run: Run) -> None:
    run.wire.thinking("Paris is in France; it is summer.", "Sunny.", run.stream)
    answer = run.ask(messages=user(QUESTION), reasoning_effort="high")
    assert run.wire.reasoning(run.only_request()) == run.wire.reasoning_high
    assert answer.reasoning == "Paris is in France; it is summer."
    assert answer.text == "Sunny."


def usage(run: Run) -> None:
    expected = run.wire.usage("Counted.", run.stream)
    answer = run.ask(messages=user("Count me"))
    run.only_request()
    assert answer.text == "Counted."
    got = answer.usage
    assert got is not None
    assert (got.prompt_tokens, got.completion_tokens) == (expected.prompt, expected.completion)
    assert got.total_tokens == expected.prompt + expected.completion
    details = got.prompt_tokens_details
    assert ((details.cached_tokens or 0) if details else 0) == expected.cached
    completion = got.completion_tokens_details
    assert ((completion.reasoning_tokens or 0) if completion else 0) == expected.reasoning


CASES = (
    Case("tools", tools, Capability.TOOLS),
    Case("tool_result", tool_result, Capability.TOOLS),
    Case("json_schema", json_schema, Capability.JSON_OUTPUT),
    Case("json_object", json_object, Capability.JSON_OUTPUT),
    Case("reasoning", reasoning, Capability.REASONING),
    Case("usage", usage, Capability.USAGE),
)
