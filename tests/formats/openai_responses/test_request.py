"""Responses requests decoded to the core, and the fields a translated target cannot honour
refused with a 400 naming them."""

from __future__ import annotations

from typing import Any

import pytest

from cloverleaf.core.chat import (
    DocumentPart,
    ImagePart,
    Message,
    Reasoning,
    ReasoningPart,
    ResponseFormat,
    TextPart,
    Tool,
    ToolCall,
    ToolChoice,
)
from cloverleaf.core.errors import GatewayError
from cloverleaf.formats.openai_responses.request import (
    parse_responses_request,
    responses_to_core,
)

SCHEMA = {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]}


def _refused(body: dict[str, Any]) -> GatewayError:
    with pytest.raises(GatewayError) as raised:
        responses_to_core({"model": "m", "input": "hi", **body})
    assert raised.value.status == 400
    return raised.value


def test_a_string_input_is_one_user_turn_after_the_instructions() -> None:
    core = responses_to_core(
        {
            "model": "m",
            "input": "hello",
            "instructions": "be brief",
            "max_output_tokens": 50,
            "temperature": 0.2,
            "top_p": 0.9,
            "user": "u-1",
            "stream": True,
        }
    )
    assert core.messages == (
        Message("system", (TextPart("be brief"),)),
        Message("user", (TextPart("hello"),)),
    )
    assert (core.max_tokens, core.temperature, core.top_p) == (50, 0.2, 0.9)
    assert core.user == "u-1" and core.stream
    assert core.source == "openai_responses"


def test_items_become_turns_with_calls_results_and_reasoning() -> None:
    core = responses_to_core(
        {
            "model": "m",
            "input": [
                {"role": "developer", "content": "rules"},
                {
                    "role": "user",
                    "content": [
                        {"type": "input_text", "text": "look"},
                        {"type": "input_image", "image_url": "data:image/png;base64,AAAA"},
                        {"type": "input_file", "file_data": "JVBE", "filename": "a.pdf"},
                    ],
                },
                {
                    "type": "reasoning",
                    "id": "rs_1",
                    "summary": [{"type": "summary_text", "text": "hmm"}],
                    "encrypted_content": "sig",
                },
                {
                    "type": "message",
                    "role": "assistant",
                    "content": [{"type": "output_text", "text": "checking", "annotations": []}],
                },
                {"type": "function_call", "call_id": "c1", "name": "w", "arguments": "{}"},
                {"type": "function_call_output", "call_id": "c1", "output": "sunny"},
            ],
        }
    )
    system, user, assistant, tool = core.messages
    assert system == Message("system", (TextPart("rules"),))
    assert user.content == (
        TextPart("look"),
        ImagePart(data="AAAA", media_type="image/png"),
        DocumentPart("application/pdf", data="JVBE", filename="a.pdf"),
    )
    assert assistant == Message(
        "assistant",
        (ReasoningPart("hmm", "sig"), TextPart("checking")),
        (ToolCall("c1", "w", "{}"),),
    )
    assert tool == Message("tool", (TextPart("sunny"),), tool_call_id="c1", name="w")


def test_tools_format_reasoning_and_choice() -> None:
    core = responses_to_core(
        {
            "model": "m",
            "input": "hi",
            "tools": [{"type": "function", "name": "w", "parameters": SCHEMA, "strict": True}],
            "tool_choice": {"type": "function", "name": "w"},
            "parallel_tool_calls": False,
            "text": {"format": {"type": "json_schema", "name": "city", "schema": SCHEMA}},
            "reasoning": {"effort": "high", "summary": "auto"},
            "store": True,
            "metadata": {"k": "v"},
        }
    )
    assert core.tools == (Tool("w", None, SCHEMA, True),)
    assert core.tool_choice == ToolChoice("function", "w")
    assert core.parallel_tool_calls is False
    assert core.response_format == ResponseFormat("json_schema", SCHEMA, "city", None)
    assert core.reasoning == Reasoning(effort="high")
    json_object = responses_to_core(
        {"model": "m", "input": "hi", "text": {"format": {"type": "json_object"}}}
    )
    assert json_object.response_format == ResponseFormat("json_object")


@pytest.mark.parametrize(
    ("body", "param"),
    [
        ({"previous_response_id": "resp_1"}, "previous_response_id"),
        ({"conversation": "conv_1"}, "conversation"),
        ({"background": True}, "background"),
        ({"prompt": {"id": "pmpt_1"}}, "prompt"),
        ({"tools": [{"type": "web_search"}]}, "tools[0].type"),
        ({"tools": [{"type": "file_search", "vector_store_ids": ["v"]}]}, "tools[0].type"),
        ({"tools": [{"type": "code_interpreter", "container": {"type": "auto"}}]}, "tools[0].type"),
        ({"tool_choice": {"type": "web_search_preview"}}, "tool_choice"),
        ({"include": ["file_search_call.results"]}, "include[0]"),
        ({"frobnicate": 1}, "frobnicate"),
        ({"input": [{"type": "item_reference", "id": "msg_1"}]}, "input[0].type"),
        (
            {"input": [{"role": "user", "content": [{"type": "input_file", "file_id": "f"}]}]},
            "input[0].content[0].file_id",
        ),
        ({"max_output_tokens": 0}, "max_output_tokens"),
        ({"input": 3}, "input"),
    ],
)
def test_what_a_chat_cannot_do_is_refused_naming_the_field(
    body: dict[str, Any], param: str
) -> None:
    assert _refused(body).param == param


def test_neutral_values_of_server_side_fields_are_accepted() -> None:
    core = responses_to_core(
        {
            "model": "m",
            "input": "hi",
            "background": False,
            "previous_response_id": None,
            "include": ["reasoning.encrypted_content"],
            "truncation": "disabled",
            "store": False,
        }
    )
    assert core.messages == (Message("user", (TextPart("hi"),)),)


@pytest.mark.parametrize(
    ("raw", "param"),
    [
        (b'{"input": "hi"}', "model"),
        (b'{"model": "m"}', "input"),
        (b'{"model": "m", "input": "hi", "stream": "yes"}', "stream"),
    ],
)
def test_the_peek_checks_what_routing_needs(raw: bytes, param: str) -> None:
    with pytest.raises(GatewayError) as raised:
        parse_responses_request(raw)
    assert raised.value.param == param


def test_the_peek_keeps_the_bytes_and_fallbacks() -> None:
    raw = b'{"model":"m","input":"hi","stream":true,"fallbacks":["anthropic/c"]}'
    peek = parse_responses_request(raw)
    assert (peek.raw, peek.model, peek.stream, peek.fallbacks) == (raw, "m", True, ("anthropic/c",))
