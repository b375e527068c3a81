"""OpenAI's Responses API (`POST /v1/responses`) on the OpenAI mock, wire-exact (openai.md §5).

Registered at import. Deterministic answers: "echo: <last user text>"; after a
`function_call_output` item, "tool said: <output>"; when function tools are given and the
last user text names one of them, a `function_call` to it with `{"input": <text>}`. A request
with `reasoning` gets a reasoning item first. `max_output_tokens` below the answer's word count
cuts it to that many words and makes the response `incomplete`. Usage counts words. Streams are
named SSE events with increasing `sequence_number`, ending with the terminal event, no `[DONE]`.
"""

from __future__ import annotations

import uuid
from typing import Any

import orjson

from tests.mocks.openai_upstream import RecordedRequest, register_operation

JSON = dict[str, Any]
_JSON = b"application/json"
_SSE = b"text/event-stream; charset=utf-8"
CREATED_AT = 1_741_294_021


def _error(message: str, param: str | None, code: str | None) -> tuple[int, bytes, bytes]:
    body = {"message": message, "type": "invalid_request_error", "param": param, "code": code}
    return 400, _JSON, orjson.dumps({"error": body})


def _text_of(content: Any) -> str:
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return " ".join(p.get("text", "") for p in content if isinstance(p, dict))
    return ""


def _conversation(body: JSON) -> tuple[list[str], Any]:
    """(every input text, for usage; the last item that asks for an answer)."""
    given = body["input"]
    items = [{"role": "user", "content": given}] if isinstance(given, str) else given
    texts = [str(body.get("instructions") or "")]
    last: Any = None
    for item in items:
        if not isinstance(item, dict):
            continue
        if item.get("type") == "function_call_output":
            texts.append(_text_of(item.get("output")))
            last = item
        elif item.get("type", "message") == "message":
            texts.append(_text_of(item.get("content")))
            if item.get("role") == "user":
                last = item
    return texts, last


def _words(texts: list[str]) -> int:
    return sum(len(t.split()) for t in texts)


def _answer(body: JSON, rid: str) -> tuple[list[JSON], JSON, str, JSON | None]:
    """(output items, usage, status, incomplete_details)."""
    texts, last = _conversation(body)
    asked = _text_of(last.get("content")) if isinstance(last, dict) and "role" in last else ""
    output: list[JSON] = []
    reasoning_words = 0
    if isinstance(body.get("reasoning"), dict):
        thought = f"thinking about: {asked}"
        reasoning_words = len(thought.split())
        summary = [{"type": "summary_text", "text": thought}]
        output.append({"id": f"rs_{rid}", "type": "reasoning", "summary": summary})
    names = [t.get("name") for t in body.get("tools") or () if t.get("type") == "function"]
    called = next((n for n in names if isinstance(n, str) and n in asked.split()), None)
    status, incomplete, made = "completed", None, reasoning_words
    if called is not None:
        arguments = orjson.dumps({"input": asked}).decode()
        output.append(
            {
                "id": f"fc_{rid}",
                "type": "function_call",
                "status": "completed",
                "arguments": arguments,
                "call_id": f"call_{rid}",
                "name": called,
            }
        )
        made += len(arguments.split())
    else:
        if isinstance(last, dict) and last.get("type") == "function_call_output":
            text = f"tool said: {_text_of(last.get('output'))}"
        else:
            text = f"echo: {asked}"
        words = text.split(" ")
        limit = body.get("max_output_tokens")
        if isinstance(limit, int) and limit < len(words):
            text = " ".join(words[:limit])
            status, incomplete = "incomplete", {"reason": "max_output_tokens"}
        part = {"type": "output_text", "text": text, "annotations": [], "logprobs": []}
        output.append(
            {
                "id": f"msg_{rid}",
                "type": "message",
                "status": status,
                "role": "assistant",
                "content": [part],
            }
        )
        made += len(text.split())
    used = _words(texts)
    usage = {
        "input_tokens": used,
        "input_tokens_details": {"cached_tokens": 0, "cache_write_tokens": 0},
        "output_tokens": made,
        "output_tokens_details": {"reasoning_tokens": reasoning_words},
        "total_tokens": used + made,
    }
    return output, usage, status, incomplete


def _response(body: JSON, rid: str, status: str, output: list[JSON], **more: Any) -> JSON:
    return {
        "id": f"resp_{rid}",
        "object": "response",
        "created_at": CREATED_AT,
        "status": status,
        "background": False,
        "error": None,
        "incomplete_details": more.get("incomplete"),
        "instructions": body.get("instructions"),
        "max_output_tokens": body.get("max_output_tokens"),
        "model": f"{body['model']}-2025-04-14",
        "output": output,
        "parallel_tool_calls": body.get("parallel_tool_calls", True),
        "previous_response_id": None,
        "reasoning": {"effort": None, "summary": None},
        "store": body.get("store", True),
        "temperature": body.get("temperature", 1.0),
        "text": body.get("text") or {"format": {"type": "text"}},
        "tool_choice": body.get("tool_choice", "auto"),
        "tools": body.get("tools") or [],
        "top_p": body.get("top_p", 1.0),
        "truncation": "disabled",
        "usage": more.get("usage"),
        "user": None,
        "metadata": body.get("metadata") or {},
    }


class _Events:
    def __init__(self) -> None:
        self.frames: list[bytes] = []

    def add(self, kind: str, **payload: Any) -> None:
        data = {"type": kind, "sequence_number": len(self.frames), **payload}
        self.frames.append(b"event: " + kind.encode() + b"\ndata: " + orjson.dumps(data) + b"\n\n")


def _item_events(events: _Events, index: int, item: JSON) -> None:
    """One finished output item as its stream of events, deltas in two pieces or more."""
    place = {"item_id": item["id"], "output_index": index}
    if item["type"] == "message":
        text = item["content"][0]["text"]
        empty = {**item["content"][0], "text": ""}
        events.add("response.output_item.added", output_index=index, item={**item, "content": []})
        events.add("response.content_part.added", **place, content_index=0, part=empty)
        for piece in _pieces(text):
            events.add(
                "response.output_text.delta", **place, content_index=0, delta=piece, logprobs=[]
            )
        events.add("response.output_text.done", **place, content_index=0, text=text, logprobs=[])
        events.add("response.content_part.done", **place, content_index=0, part=item["content"][0])
    elif item["type"] == "function_call":
        added = {**item, "arguments": "", "status": "in_progress"}
        events.add("response.output_item.added", output_index=index, item=added)
        for piece in _pieces(item["arguments"]):
            events.add("response.function_call_arguments.delta", **place, delta=piece)
        events.add(
            "response.function_call_arguments.done",
            **place,
            arguments=item["arguments"],
            name=item["name"],
        )
    else:
        events.add("response.output_item.added", output_index=index, item={**item, "summary": []})
        for summary_index, part in enumerate(item["summary"]):
            where = {**place, "summary_index": summary_index}
            events.add("response.reasoning_summary_part.added", **where, part={**part, "text": ""})
            for piece in _pieces(part["text"]):
                events.add("response.reasoning_summary_text.delta", **where, delta=piece)
            events.add("response.reasoning_summary_text.done", **where, text=part["text"])
            events.add("response.reasoning_summary_part.done", **where, part=part)
    events.add("response.output_item.done", output_index=index, item=item)


def _pieces(text: str) -> list[str]:
    size = max(1, (len(text) + 2) // 3)
    return [text[i : i + size] for i in range(0, len(text), size)]


def openai_responses(request: RecordedRequest) -> tuple[int, bytes, bytes]:
    body = request.json
    if not isinstance(body, dict):
        return _error("We could not parse the JSON body of your request.", None, None)
    if not isinstance(body.get("model"), str) or not body["model"]:
        return _error("Missing required parameter: 'model'.", "model", "missing_required_parameter")
    if body.get("input") is None:
        return _error("Missing required parameter: 'input'.", "input", "missing_required_parameter")
    rid = uuid.uuid4().hex
    output, usage, status, incomplete = _answer(body, rid)
    whole = _response(body, rid, status, output, usage=usage, incomplete=incomplete)
    if body.get("stream") is not True:
        return 200, _JSON, orjson.dumps(whole)
    events = _Events()
    events.add("response.created", response=_response(body, rid, "in_progress", []))
    events.add("response.in_progress", response=_response(body, rid, "in_progress", []))
    for index, item in enumerate(output):
        _item_events(events, index, item)
    events.add(f"response.{status}", response=whole)
    return 200, _SSE, b"".join(events.frames)


register_operation("POST", "/v1/responses", openai_responses)
