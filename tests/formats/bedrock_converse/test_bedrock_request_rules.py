"""Request-side rules the fixtures do not cover: what Bedrock cannot take is refused with a 400
naming the field, and what has no Converse equivalent is mapped or dropped on purpose."""

from __future__ import annotations

from typing import Any

import pytest

from cloverleaf.core.chat import (
    ChatRequest,
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
from cloverleaf.formats.bedrock_converse.dialect import BedrockConverseDialect
from cloverleaf.formats.bedrock_converse.from_core import JSON_MODE_INSTRUCTION

DIALECT = BedrockConverseDialect()
CLAUDE = "anthropic.claude-3-7-sonnet-20250219-v1:0"
USER = Message("user", (TextPart("hi"),))
CALL = ToolCall("call_1", "look", '{"x": 1}')


def encode(model: str = CLAUDE, **fields: Any) -> dict[str, Any]:
    fields.setdefault("messages", (USER,))
    return DIALECT.encode_request(ChatRequest(model="client-name", **fields), model)


def refused(**fields: Any) -> GatewayError:
    with pytest.raises(GatewayError) as caught:
        encode(**fields)
    assert caught.value.status == 400
    return caught.value


def test_an_image_url_is_refused_naming_the_part_and_never_fetched() -> None:
    image = ImagePart(url="https://example.com/cat.png")
    error = refused(messages=(Message("user", (TextPart("look"), image)),))
    assert error.param == "messages[0].content[1]" and "base64" in error.message


def test_unsupported_image_types_are_refused() -> None:
    image = ImagePart(data="AAAA", media_type="image/tiff")
    assert refused(messages=(Message("user", (image,)),)).param == "messages[0].content[0]"


def test_a_conversation_must_start_with_the_user() -> None:
    assistant = Message("assistant", (TextPart("hello"),))
    assert refused(messages=(Message("system", (TextPart("s"),)), assistant)).param == "messages"
    assert refused(messages=(Message("system", (TextPart("only system"),)),)).param == "messages"


def test_a_tool_result_needs_the_call_id() -> None:
    orphan = Message("tool", (TextPart("18C"),))
    turns = (USER, Message("assistant", tool_calls=(CALL,)), orphan)
    assert refused(messages=turns).param == "messages[2].tool_call_id"


def test_parameters_without_an_equivalent() -> None:
    assert refused(presence_penalty=0.5).param == "presence_penalty"
    with pytest.raises(GatewayError) as caught:
        encode("meta.llama3-1-70b-instruct-v1:0", top_k=5)
    assert caught.value.param == "top_k"
    assert encode(seed=1, frequency_penalty=0.0, parallel_tool_calls=False, user="u") == {
        "messages": [{"role": "user", "content": [{"text": "hi"}]}]
    }


def test_top_k_uses_each_family_field() -> None:
    assert encode(top_k=40)["additionalModelRequestFields"] == {"top_k": 40}
    nova = encode("amazon.nova-lite-v1:0", top_k=40)
    assert nova["additionalModelRequestFields"] == {"inferenceConfig": {"topK": 40}}


@pytest.mark.parametrize(
    ("choice", "expected"),
    [
        (ToolChoice("auto"), {"auto": {}}),
        (ToolChoice("required"), {"any": {}}),
        (ToolChoice("function", "look"), {"tool": {"name": "look"}}),
        (None, None),
    ],
)
def test_tool_choice(choice: ToolChoice | None, expected: dict[str, Any] | None) -> None:
    config = encode(tools=(Tool("look"),), tool_choice=choice)["toolConfig"]
    assert config.get("toolChoice") == expected
    assert config["tools"][0]["toolSpec"]["inputSchema"] == {
        "json": {"type": "object", "properties": {}}
    }


def test_tool_choice_none_omits_tools_unless_the_history_needs_a_tool_config() -> None:
    assert "toolConfig" not in encode(tools=(Tool("look"),), tool_choice=ToolChoice("none"))
    history = (
        USER,
        Message("assistant", tool_calls=(CALL, ToolCall("call_2", "look", "{}"))),
        Message("tool", (TextPart("a cat"),), tool_call_id="call_1", is_error=True),
        Message("tool", (TextPart("again"),), tool_call_id="call_2"),
    )
    body = encode(messages=history)  # no tools declared: names come from the history
    assert body["toolConfig"] == {
        "tools": [
            {
                "toolSpec": {
                    "name": "look",
                    "inputSchema": {"json": {"type": "object", "properties": {}}},
                }
            }
        ]
    }
    results = body["messages"][2]["content"]
    assert (
        results[0]["toolResult"]["status"] == "error" and "status" not in results[1]["toolResult"]
    )


def test_reasoning_budgets_for_claude() -> None:
    fields = encode(reasoning=Reasoning(effort="high"))
    assert fields["additionalModelRequestFields"] == {
        "thinking": {"type": "enabled", "budget_tokens": 16384}
    }
    assert fields["inferenceConfig"] == {"maxTokens": 16384 + 4096}  # room for the answer
    capped = encode(reasoning=Reasoning(effort="high"), max_tokens=5000)
    assert capped["additionalModelRequestFields"]["thinking"]["budget_tokens"] == 4999
    explicit = encode(reasoning=Reasoning(budget_tokens=2000), max_tokens=9000)
    assert explicit["additionalModelRequestFields"]["thinking"]["budget_tokens"] == 2000
    assert "additionalModelRequestFields" not in encode(reasoning=Reasoning(effort="none"))
    assert refused(reasoning=Reasoning(effort="low"), max_tokens=800).param == "max_tokens"
    assert refused(reasoning=Reasoning(effort="extreme")).param == "reasoning"


def test_reasoning_is_dropped_for_models_without_anthropic_thinking() -> None:
    assert encode("amazon.nova-pro-v1:0", reasoning=Reasoning(effort="high")) == {
        "messages": [{"role": "user", "content": [{"text": "hi"}]}]
    }


def test_signed_and_redacted_thinking_go_back_unchanged() -> None:
    parts = (ReasoningPart("hmm", "sig=="), ReasoningPart.redacted_block("b64blob"), TextPart("ok"))
    body = encode(messages=(USER, Message("assistant", parts), USER))
    assert body["messages"][1]["content"] == [
        {"reasoningContent": {"reasoningText": {"text": "hmm", "signature": "sig=="}}},
        {"reasoningContent": {"redactedContent": "b64blob"}},
        {"text": "ok"},
    ]


def test_json_mode_becomes_an_instruction_and_schema_keeps_its_name() -> None:
    body = encode(
        messages=(Message("system", (TextPart("be brief"),)), USER),
        response_format=ResponseFormat("json_object"),
    )
    assert body["system"] == [{"text": "be brief"}, {"text": JSON_MODE_INSTRUCTION}]
    schema = encode(response_format=ResponseFormat("json_schema", {"type": "object"}))
    assert schema["outputConfig"]["textFormat"]["structure"]["jsonSchema"] == {
        "schema": '{"type":"object"}',
        "name": "response",
    }


def test_converse_only_fields_pass_through_for_a_bedrock_client() -> None:
    extra = {
        "guardrailConfig": {"guardrailIdentifier": "g1", "guardrailVersion": "1"},
        "performanceConfig": {"latency": "optimized"},
        "additionalModelRequestFields": {"anthropic_beta": ["x"]},
        "logit_bias": {"1": 2},  # an OpenAI field: never sent to Bedrock
    }
    body = encode(extra=extra, top_k=3)
    assert body["guardrailConfig"] == extra["guardrailConfig"]
    assert body["performanceConfig"] == {"latency": "optimized"}
    assert body["additionalModelRequestFields"] == {"anthropic_beta": ["x"], "top_k": 3}
    assert "logit_bias" not in body


def test_images_are_user_only_and_tool_results_may_carry_them() -> None:
    image = ImagePart(data="AAAA", media_type="image/webp")
    assert (refused(messages=(USER, Message("assistant", (image,)))).param or "").startswith(
        "messages[1]"
    )
    turns = (
        USER,
        Message("assistant", tool_calls=(CALL,)),
        Message("tool", (TextPart("see"), image), tool_call_id="call_1"),
    )
    result = encode(messages=turns, tools=(Tool("look"),))["messages"][2]["content"][0]
    assert result["toolResult"]["content"][1] == {
        "image": {"format": "webp", "source": {"bytes": "AAAA"}}
    }
