"""Cache writes, thought signatures, documents and Bedrock error headers through the gateway.

Official SDK clients talk to the running gateway; the provider mocks record what reached them.
"""

from __future__ import annotations

import base64
import json
from typing import Any

import anthropic
import openai
import pytest

from tests.e2e.dialects.clients import TOOL
from tests.e2e.dialects.upstreams import Upstream
from tests.gateway_process import GatewayProcess
from tests.mocks import bedrock_upstream, gemini_upstream

SIGNATURE = "CiQB0e2Kb3dRh+/sig=="
PDF = base64.b64encode(b"%PDF-1.4 tiny test document").decode()


def _openai(gateway: GatewayProcess) -> openai.OpenAI:
    return openai.OpenAI(base_url=gateway.base_url + "/v1", api_key="x", max_retries=0, timeout=20)


def _anthropic(gateway: GatewayProcess) -> anthropic.Anthropic:
    return anthropic.Anthropic(base_url=gateway.base_url, api_key="x", max_retries=0, timeout=20)


# -- gap 1: cache writes ----------------------------------------------------------------------


@pytest.mark.parametrize("stream", [False, True], ids=["whole", "stream"])
def test_anthropic_cache_writes_reach_openai_clients_inside_prompt_tokens(
    gateway: GatewayProcess, upstreams: dict[str, Upstream], stream: bool
) -> None:
    mock = upstreams["anthropic"].mock
    mock.reset()
    mock.cache_tokens = (30, 12)  # (read, created)
    sdk = _openai(gateway)
    messages: Any = [{"role": "user", "content": "cache me"}]
    if stream:
        chunks = sdk.chat.completions.create(
            model="anthropic/claude-mock",
            messages=messages,
            stream=True,
            stream_options={"include_usage": True},
        )
        usage = [c.usage for c in chunks if c.usage is not None][-1]
    else:
        answer = sdk.chat.completions.create(model="anthropic/claude-mock", messages=messages)
        assert answer.usage is not None
        usage = answer.usage
    sent = mock.requests[-1].json
    assert sent is not None
    details = usage.prompt_tokens_details
    assert details is not None and details.cached_tokens == 30
    # the field name the OpenAI SDK itself declares (and OpenRouter sends)
    assert details.model_dump().get("cache_write_tokens") == 12
    # prompt_tokens is every input token: uncached + read + written
    assert usage.prompt_tokens >= 42 + 1
    assert usage.total_tokens == usage.prompt_tokens + usage.completion_tokens


def test_bedrock_cache_writes_reach_anthropic_clients_as_cache_creation(
    gateway: GatewayProcess, upstreams: dict[str, Upstream]
) -> None:
    mock = upstreams["bedrock"].mock
    mock.reset()
    mock.enqueue(bedrock_upstream.Text("cached answer", cache_read=7, cache_write=5))
    message = _anthropic(gateway).messages.create(
        model="bedrock/amazon.nova-lite-v1:0",
        max_tokens=50,
        messages=[{"role": "user", "content": "hello"}],
    )
    assert message.content[0].type == "text" and message.content[0].text == "cached answer"
    assert (message.usage.cache_read_input_tokens, message.usage.cache_creation_input_tokens) == (
        7,
        5,
    )
    assert message.usage.input_tokens >= 1  # the uncached rest, not the sum


# -- gap 2: thought signatures on tool calls --------------------------------------------------


def _gemini_call(upstreams: dict[str, Upstream]) -> Any:
    mock = upstreams["gemini"].mock
    mock.reset()
    mock.enqueue(
        gemini_upstream.ToolCalls([("get_weather", {"city": "Paris"})], signature=SIGNATURE)
    )
    return mock


def _function_call_parts(body: dict[str, Any]) -> list[dict[str, Any]]:
    return [
        part for content in body["contents"] for part in content["parts"] if "functionCall" in part
    ]


@pytest.mark.parametrize("stream", [False, True], ids=["whole", "stream"])
def test_gemini_signature_round_trips_through_an_openai_client(
    gateway: GatewayProcess, upstreams: dict[str, Upstream], stream: bool
) -> None:
    mock = _gemini_call(upstreams)
    sdk = _openai(gateway)
    tools: Any = [{"type": "function", "function": TOOL}]
    messages: Any = [{"role": "user", "content": "weather in paris"}]
    model = "gemini/gemini-2.5-flash"
    if stream:
        calls: dict[int, dict[str, Any]] = {}
        for chunk in sdk.chat.completions.create(
            model=model, messages=messages, tools=tools, stream=True
        ):
            for delta in (chunk.choices[0].delta.tool_calls or []) if chunk.choices else []:
                entry = calls.setdefault(delta.index, {"arguments": ""})
                raw = delta.model_dump(exclude_none=True)
                entry.update({k: v for k, v in raw.items() if k in ("id", "extra_content")})
                if delta.function is not None:
                    entry["name"] = delta.function.name or entry.get("name")
                    entry["arguments"] += delta.function.arguments or ""
        call = calls[0]
        wire_call = {
            "id": call["id"],
            "type": "function",
            "function": {"name": call["name"], "arguments": call["arguments"]},
            "extra_content": call["extra_content"],
        }
    else:
        first = sdk.chat.completions.create(model=model, messages=messages, tools=tools)
        wire_call = (first.choices[0].message.tool_calls or [])[0].model_dump(exclude_none=True)
    assert wire_call["extra_content"] == {"google": {"thought_signature": SIGNATURE}}
    # the client sends the call back exactly as it received it, then the tool's result
    messages += [
        {"role": "assistant", "content": None, "tool_calls": [wire_call]},
        {"role": "tool", "tool_call_id": wire_call["id"], "content": "18C"},
    ]
    sdk.chat.completions.create(model=model, messages=messages, tools=tools)
    sent = mock.requests[-1].json
    assert [p.get("thoughtSignature") for p in _function_call_parts(sent)] == [SIGNATURE]


def test_gemini_signature_round_trips_through_an_anthropic_client(
    gateway: GatewayProcess, upstreams: dict[str, Upstream]
) -> None:
    mock = _gemini_call(upstreams)
    client = _anthropic(gateway)
    tools: Any = [
        {
            "name": TOOL["name"],
            "description": TOOL["description"],
            "input_schema": TOOL["parameters"],
        }
    ]
    messages: Any = [{"role": "user", "content": "weather in paris"}]
    first = client.messages.create(
        model="gemini/gemini-2.5-flash", max_tokens=100, messages=messages, tools=tools
    )
    use = next(b for b in first.content if b.type == "tool_use")
    assert SIGNATURE not in use.id  # the signature rides encoded in the id, not verbatim
    messages += [
        {"role": "assistant", "content": [b.model_dump(exclude_none=True) for b in first.content]},
        {
            "role": "user",
            "content": [{"type": "tool_result", "tool_use_id": use.id, "content": "18C"}],
        },
    ]
    client.messages.create(
        model="gemini/gemini-2.5-flash", max_tokens=100, messages=messages, tools=tools
    )
    sent = mock.requests[-1].json
    assert [p.get("thoughtSignature") for p in _function_call_parts(sent)] == [SIGNATURE]
    result = next(
        p["functionResponse"]
        for c in sent["contents"]
        for p in c["parts"]
        if "functionResponse" in p
    )
    assert result["name"] == "get_weather" and "id" not in result


# -- gap 5: documents -------------------------------------------------------------------------


def _file_message(filename: str = "Q3 report.v2.pdf") -> Any:
    file = {"file_data": f"data:application/pdf;base64,{PDF}", "filename": filename}
    return [
        {
            "role": "user",
            "content": [{"type": "text", "text": "summarise"}, {"type": "file", "file": file}],
        }
    ]


def test_openai_file_parts_reach_every_provider_that_reads_documents(
    gateway: GatewayProcess, upstreams: dict[str, Upstream]
) -> None:
    sdk = _openai(gateway)
    for name in ("anthropic", "gemini", "bedrock"):
        upstreams[name].mock.reset()
        sdk.chat.completions.create(model=upstreams[name].model, messages=_file_message())
    anthropic_blocks = upstreams["anthropic"].mock.requests[-1].json["messages"][0]["content"]
    assert anthropic_blocks[1] == {
        "type": "document",
        "source": {"type": "base64", "media_type": "application/pdf", "data": PDF},
        "title": "Q3 report.v2.pdf",
    }
    gemini_parts = upstreams["gemini"].mock.requests[-1].json["contents"][0]["parts"]
    assert gemini_parts[1] == {"inlineData": {"mimeType": "application/pdf", "data": PDF}}
    bedrock_blocks = upstreams["bedrock"].mock.requests[-1].json["messages"][0]["content"]
    assert bedrock_blocks[1] == {
        "document": {"format": "pdf", "name": "Q3 report v2", "source": {"bytes": PDF}}
    }


def test_file_parts_are_refused_by_name_where_the_provider_cannot_read_them(
    gateway: GatewayProcess, upstreams: dict[str, Upstream]
) -> None:
    mock = upstreams["ollama"].mock
    mock.reset()
    with pytest.raises(openai.BadRequestError) as info:
        _openai(gateway).chat.completions.create(
            model=upstreams["ollama"].model, messages=_file_message()
        )
    body: Any = info.value.body
    assert body["param"] == "messages[0].content[1]"
    assert not mock.requests


def test_openai_file_ids_are_refused_naming_the_field(gateway: GatewayProcess) -> None:
    messages: Any = [
        {"role": "user", "content": [{"type": "file", "file": {"file_id": "file-abc"}}]}
    ]
    with pytest.raises(openai.BadRequestError) as info:
        _openai(gateway).chat.completions.create(model="gemini/gemini-2.5-flash", messages=messages)
    body: Any = info.value.body
    assert body["param"] == "messages[0].content[0].file.file_id"


def test_anthropic_client_documents_reach_bedrock(
    gateway: GatewayProcess, upstreams: dict[str, Upstream]
) -> None:
    mock = upstreams["bedrock"].mock
    mock.reset()
    document: Any = {
        "type": "document",
        "source": {"type": "base64", "media_type": "application/pdf", "data": PDF},
        "title": "spec.pdf",
    }
    _anthropic(gateway).messages.create(
        model="bedrock/amazon.nova-lite-v1:0",
        max_tokens=50,
        messages=[{"role": "user", "content": [document, {"type": "text", "text": "read it"}]}],
    )
    blocks = mock.requests[-1].json["messages"][0]["content"]
    assert blocks[0] == {"document": {"format": "pdf", "name": "spec", "source": {"bytes": PDF}}}


# -- gap 4: Bedrock names the error in a header -----------------------------------------------


def test_bedrock_error_type_header_decides_the_status(
    gateway: GatewayProcess, upstreams: dict[str, Upstream]
) -> None:
    """The mock's body is only `{"message": ...}`; the exception name is in x-amzn-ErrorType."""
    mock = upstreams["bedrock"].mock
    mock.reset()
    mock.enqueue(bedrock_upstream.Error(400, "AccessDeniedException", "no model access"))
    with pytest.raises(openai.PermissionDeniedError) as info:
        _openai(gateway).chat.completions.create(
            model="bedrock/amazon.nova-lite-v1:0", messages=[{"role": "user", "content": "hi"}]
        )
    body: Any = info.value.body
    assert body["code"] == "AccessDeniedException"
    assert json.dumps(body).count("no model access") == 1
