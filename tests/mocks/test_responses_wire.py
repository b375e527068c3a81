"""The mock's Responses wire, checked with the official `openai` SDK as the client: if the SDK
parses it (whole, streamed and through its stream helper), the gateway's tests can trust it."""

from __future__ import annotations

from collections.abc import Iterator

import openai
import pytest

from tests.mocks import responses_wire
from tests.mocks.openai_upstream import MockOpenAI

assert responses_wire.CREATED_AT  # registered at import

TOOL = {
    "type": "function",
    "name": "lookup",
    "description": "Look a word up",
    "parameters": {"type": "object", "properties": {"input": {"type": "string"}}},
}


@pytest.fixture(scope="module")
def sdk() -> Iterator[openai.OpenAI]:
    with MockOpenAI() as mock:
        client = openai.OpenAI(base_url=mock.base_url + "/v1", api_key="sk", max_retries=0)
        with client:
            yield client


def test_a_whole_answer_echoes_with_word_usage(sdk: openai.OpenAI) -> None:
    answer = sdk.responses.create(model="gpt-4o-mini", input="hello there", instructions="be")
    assert answer.object == "response" and answer.id.startswith("resp_")
    assert answer.status == "completed"
    assert answer.output_text == "echo: hello there"
    assert answer.usage is not None
    assert (answer.usage.input_tokens, answer.usage.output_tokens) == (3, 3)
    assert answer.usage.total_tokens == 6


def test_a_named_tool_is_called_and_its_output_answered(sdk: openai.OpenAI) -> None:
    first = sdk.responses.create(model="gpt-4o-mini", input="please lookup cat", tools=[TOOL])  # type: ignore[list-item]
    call = first.output[0]
    assert call.type == "function_call" and call.name == "lookup"
    assert call.arguments == '{"input":"please lookup cat"}'
    second = sdk.responses.create(
        model="gpt-4o-mini",
        input=[
            {"role": "user", "content": "please lookup cat"},
            {
                "type": "function_call",
                "call_id": call.call_id,
                "name": "lookup",
                "arguments": call.arguments,
            },
            {"type": "function_call_output", "call_id": call.call_id, "output": "a pet"},
        ],
        tools=[TOOL],  # type: ignore[list-item]
    )
    assert second.output_text == "tool said: a pet"


def test_max_output_tokens_makes_it_incomplete(sdk: openai.OpenAI) -> None:
    answer = sdk.responses.create(model="gpt-4o-mini", input="one two three", max_output_tokens=2)
    assert answer.status == "incomplete"
    assert answer.incomplete_details is not None
    assert answer.incomplete_details.reason == "max_output_tokens"
    assert answer.output_text == "echo: one"


def test_the_stream_is_named_events_ending_with_completed(sdk: openai.OpenAI) -> None:
    events = list(
        sdk.responses.create(
            model="gpt-4o-mini", input="stream me", reasoning={"effort": "low"}, stream=True
        )
    )
    kinds = [e.type for e in events]
    assert kinds[:2] == ["response.created", "response.in_progress"]
    assert kinds[-1] == "response.completed"
    assert [e.sequence_number for e in events] == list(range(len(events)))
    assert "response.reasoning_summary_text.delta" in kinds
    text = "".join(e.delta for e in events if e.type == "response.output_text.delta")
    assert text == "echo: stream me"
    final = events[-1]
    assert final.type == "response.completed" and final.response.usage is not None


def test_the_sdk_stream_helper_accumulates_the_answer(sdk: openai.OpenAI) -> None:
    with sdk.responses.stream(model="gpt-4o-mini", input="helper works") as stream:
        for _ in stream:
            pass
        final = stream.get_final_response()
    assert final.output_text == "echo: helper works"


def test_missing_input_is_a_400_naming_it(sdk: openai.OpenAI) -> None:
    with pytest.raises(openai.BadRequestError) as raised:
        sdk.responses.create(model="gpt-4o-mini")
    assert raised.value.param == "input"
