"""Each client dialect, driven by its official SDK: ask, stream, and a tool round trip."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, Protocol

import anthropic
import ollama
import openai
from google import genai
from google.genai import types as gtypes

QUESTION = "weather in paris please"
TOOL: dict[str, Any] = {
    "name": "get_weather",
    "description": "Current weather in a city",
    "parameters": {
        "type": "object",
        "properties": {"city": {"type": "string"}},
        "required": ["city"],
    },
}


class Client(Protocol):
    def close(self) -> None: ...

    def ask(self, model: str, stream: bool) -> str: ...

    def tool_round_trip(self, model: str) -> tuple[str, dict[str, Any]]:
        """Offer the tool, return the call the model made, then send its result back."""
        ...


class OpenAIClient:
    def __init__(self, base_url: str) -> None:
        self.sdk = openai.OpenAI(base_url=base_url + "/v1", api_key="x", max_retries=0, timeout=20)

    def ask(self, model: str, stream: bool) -> str:
        messages: Any = [{"role": "user", "content": QUESTION}]
        if not stream:
            return (
                self.sdk.chat.completions.create(model=model, messages=messages)
                .choices[0]
                .message.content
                or ""
            )
        chunks = self.sdk.chat.completions.create(model=model, messages=messages, stream=True)
        return "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)

    def tool_round_trip(self, model: str) -> tuple[str, dict[str, Any]]:
        tools: Any = [{"type": "function", "function": TOOL}]
        messages: Any = [{"role": "user", "content": QUESTION}]
        first = self.sdk.chat.completions.create(model=model, messages=messages, tools=tools)
        call: Any = (first.choices[0].message.tool_calls or [])[0]
        messages += [
            first.choices[0].message.model_dump(exclude_none=True),
            {"role": "tool", "tool_call_id": call.id, "content": "18C sunny"},
        ]
        self.sdk.chat.completions.create(model=model, messages=messages, tools=tools)
        return call.function.name, json.loads(call.function.arguments)

    def close(self) -> None:
        self.sdk.close()


class AnthropicClient:
    def __init__(self, base_url: str) -> None:
        self.sdk = anthropic.Anthropic(base_url=base_url, api_key="x", max_retries=0, timeout=20)

    def ask(self, model: str, stream: bool) -> str:
        messages: Any = [{"role": "user", "content": QUESTION}]
        if not stream:
            message = self.sdk.messages.create(model=model, max_tokens=200, messages=messages)
        else:
            with self.sdk.messages.stream(model=model, max_tokens=200, messages=messages) as events:
                message = events.get_final_message()
        return "".join(b.text for b in message.content if b.type == "text")

    def tool_round_trip(self, model: str) -> tuple[str, dict[str, Any]]:
        tools: Any = [
            {
                "name": TOOL["name"],
                "description": TOOL["description"],
                "input_schema": TOOL["parameters"],
            }
        ]
        messages: Any = [{"role": "user", "content": QUESTION}]
        first = self.sdk.messages.create(
            model=model, max_tokens=200, messages=messages, tools=tools
        )
        use: Any = next(b for b in first.content if b.type == "tool_use")
        messages += [
            {
                "role": "assistant",
                "content": [b.model_dump(exclude_none=True) for b in first.content],
            },
            {
                "role": "user",
                "content": [{"type": "tool_result", "tool_use_id": use.id, "content": "18C sunny"}],
            },
        ]
        self.sdk.messages.create(model=model, max_tokens=200, messages=messages, tools=tools)
        return use.name, dict(use.input)

    def close(self) -> None:
        self.sdk.close()


class GeminiClient:
    def __init__(self, base_url: str) -> None:
        self.sdk = genai.Client(
            api_key="x", http_options=gtypes.HttpOptions(base_url=base_url, timeout=20_000)
        )

    def ask(self, model: str, stream: bool) -> str:
        if not stream:
            return self.sdk.models.generate_content(model=model, contents=QUESTION).text or ""
        return "".join(
            c.text or ""
            for c in self.sdk.models.generate_content_stream(model=model, contents=QUESTION)
        )

    def tool_round_trip(self, model: str) -> tuple[str, dict[str, Any]]:
        tool = gtypes.Tool(
            function_declarations=[
                gtypes.FunctionDeclaration(
                    name=TOOL["name"],
                    description=TOOL["description"],
                    parameters_json_schema=TOOL["parameters"],
                )
            ]
        )
        config = gtypes.GenerateContentConfig(
            tools=[tool],
            automatic_function_calling=gtypes.AutomaticFunctionCallingConfig(disable=True),
        )
        question = gtypes.Content(role="user", parts=[gtypes.Part(text=QUESTION)])
        first = self.sdk.models.generate_content(model=model, contents=[question], config=config)
        call = (first.function_calls or [])[0]
        answer = gtypes.Part.from_function_response(
            name=call.name or "", response={"result": "18C sunny"}
        )
        turns = [question, first.candidates[0].content, gtypes.Content(role="user", parts=[answer])]  # type: ignore[index]
        self.sdk.models.generate_content(model=model, contents=turns, config=config)
        return call.name or "", dict(call.args or {})

    def close(self) -> None:
        self.sdk.close()


class OllamaClient:
    def __init__(self, base_url: str) -> None:
        self.sdk = ollama.Client(host=base_url, timeout=20)

    def ask(self, model: str, stream: bool) -> str:
        messages = [{"role": "user", "content": QUESTION}]
        if not stream:
            return self.sdk.chat(model=model, messages=messages).message.content or ""
        return "".join(
            c.message.content or ""
            for c in self.sdk.chat(model=model, messages=messages, stream=True)
        )

    def tool_round_trip(self, model: str) -> tuple[str, dict[str, Any]]:
        messages: list[Any] = [{"role": "user", "content": QUESTION}]
        tools: Any = [{"type": "function", "function": TOOL}]
        first = self.sdk.chat(model=model, messages=messages, tools=tools)
        call = (first.message.tool_calls or [])[0]
        messages += [
            first.message,
            {"role": "tool", "content": "18C sunny", "tool_name": call.function.name},
        ]
        self.sdk.chat(model=model, messages=messages, tools=tools)
        return call.function.name, dict(call.function.arguments)

    def close(self) -> None:
        self.sdk.close()  # type: ignore[no-untyped-call]


CLIENTS: dict[str, Callable[[str], Client]] = {
    "openai": OpenAIClient,
    "anthropic": AnthropicClient,
    "gemini": GeminiClient,
    "ollama": OllamaClient,
}


@contextmanager
def client(kind: str, base_url: str) -> Iterator[Client]:
    sdk = CLIENTS[kind](base_url)
    try:
        yield sdk
    finally:
        sdk.close()
