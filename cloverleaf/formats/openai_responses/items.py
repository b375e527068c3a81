"""Responses `input` (a string or a list of items) → core messages.

The Responses API spreads one assistant turn over several items (reasoning, message,
function_call): consecutive assistant-side items are gathered into one core assistant message,
which is how every chat dialect carries a turn. A `function_call_output` is a tool message.
"""

from __future__ import annotations

from typing import Any

from cloverleaf.core.chat import (
    DocumentPart,
    ImagePart,
    Message,
    Part,
    ReasoningPart,
    Role,
    TextPart,
    ToolCall,
)
from cloverleaf.core.errors import bad_request

_ROLES: dict[str, Role] = {
    "user": "user",
    "system": "system",
    "developer": "system",
    "assistant": "assistant",
}
_TEXT_PARTS = frozenset({"input_text", "output_text", "text", "summary_text", "reasoning_text"})


class _Turns:
    """Messages so far plus the assistant turn still being gathered."""

    def __init__(self) -> None:
        self.messages: list[Message] = []
        self.parts: list[Part] = []
        self.calls: list[ToolCall] = []
        self.names: dict[str, str] = {}  # call_id → function name, for the tool messages

    def flush(self) -> None:
        if self.parts or self.calls:
            self.messages.append(Message("assistant", tuple(self.parts), tuple(self.calls)))
            self.parts, self.calls = [], []

    def add(self, message: Message) -> None:
        self.flush()
        self.messages.append(message)


def input_messages(raw: Any) -> tuple[Message, ...]:
    if isinstance(raw, str):
        return (Message("user", (TextPart(raw),)),)
    if not isinstance(raw, list):
        raise bad_request("input must be a string or an array of items", param="input")
    turns = _Turns()
    for index, item in enumerate(raw):
        _item(turns, item, f"input[{index}]")
    turns.flush()
    return tuple(turns.messages)


def _item(turns: _Turns, item: Any, where: str) -> None:
    if not isinstance(item, dict):
        raise bad_request(f"{where} must be an object", param=where)
    kind = item.get("type", "message")
    if kind == "message":
        role = _ROLES.get(str(item.get("role")))
        if role is None:
            raise bad_request(f"{where}.role {item.get('role')!r} is not supported", param=where)
        parts = _parts(item.get("content"), f"{where}.content")
        if role == "assistant":
            turns.parts.extend(parts)
        else:
            turns.add(Message(role, parts))
    elif kind == "function_call":
        call_id, name = _str(item, "call_id", where), _str(item, "name", where)
        arguments = item.get("arguments")
        turns.names[call_id] = name
        turns.calls.append(ToolCall(call_id, name, arguments if isinstance(arguments, str) else ""))
    elif kind == "function_call_output":
        call_id = _str(item, "call_id", where)
        output = item.get("output")
        parts = (
            (TextPart(output),) if isinstance(output, str) else _parts(output, f"{where}.output")
        )
        turns.add(Message("tool", parts, tool_call_id=call_id, name=turns.names.get(call_id)))
    elif kind == "reasoning":
        reasoning = _reasoning(item)
        if reasoning is not None:
            turns.parts.append(reasoning)
    else:
        raise bad_request(
            f"{where}: item type {kind!r} is only supported by OpenAI's own Responses endpoint",
            param=f"{where}.type",
            code="unsupported_parameter",
        )


def _reasoning(item: dict[str, Any]) -> ReasoningPart | None:
    """Full reasoning text when given, else the summary; `encrypted_content` is the opaque
    signature the gateway itself wrote into an earlier answer's reasoning item."""
    texts = [p.get("text") for p in item.get("content") or () if isinstance(p, dict)]
    if not any(texts):
        texts = [p.get("text") for p in item.get("summary") or () if isinstance(p, dict)]
    text = "\n\n".join(t for t in texts if isinstance(t, str) and t)
    signature = item.get("encrypted_content")
    if not text and not isinstance(signature, str):
        return None
    return ReasoningPart(text, signature if isinstance(signature, str) else None)


def _parts(content: Any, where: str) -> tuple[Part, ...]:
    if content is None:
        return ()
    if isinstance(content, str):
        return (TextPart(content),)
    if not isinstance(content, list):
        raise bad_request(f"{where} must be a string or an array", param=where)
    return tuple(_part(part, f"{where}[{i}]") for i, part in enumerate(content))


def _part(part: Any, where: str) -> Part:
    kind = part.get("type") if isinstance(part, dict) else None
    if not isinstance(part, dict) or not isinstance(kind, str):
        raise bad_request(f"{where} must be an object with a type", param=where)
    if kind in _TEXT_PARTS:
        text = part.get("text")
        if not isinstance(text, str):
            raise bad_request(f"{where}.text must be a string", param=f"{where}.text")
        return TextPart(text)
    if kind == "refusal":
        return TextPart(str(part.get("refusal", "")))
    _no_file_id(part, where)
    if kind == "input_image":
        url = part.get("image_url")
        if not isinstance(url, str) or not url:
            raise bad_request(f"{where}.image_url is required", param=f"{where}.image_url")
        detail = part.get("detail")
        return ImagePart.from_url(url, detail if isinstance(detail, str) else None)
    if kind == "input_file":
        return _file(part, where)
    raise bad_request(f"{where}: content type {kind!r} is not supported", param=f"{where}.type")


def _file(part: dict[str, Any], where: str) -> DocumentPart:
    """`file_data` is a data: URI (bare base64 is read as a PDF, as OpenAI does)."""
    name = part.get("filename")
    filename = name if isinstance(name, str) else None
    data = part.get("file_data")
    if isinstance(data, str) and data:
        document = DocumentPart.from_data_url(data, filename)
        return document or DocumentPart("application/pdf", data=data, filename=filename)
    url = part.get("file_url")
    if isinstance(url, str) and url:
        return DocumentPart("application/pdf", url=url, filename=filename)
    raise bad_request(f"{where}: needs file_data or file_url", param=where)


def _no_file_id(part: dict[str, Any], where: str) -> None:
    if part.get("file_id") is not None:
        raise bad_request(
            f"{where}.file_id: uploaded file ids cannot be resolved by the gateway for a "
            "translated model; send the content inline",
            param=f"{where}.file_id",
            code="file_id_not_supported",
        )


def _str(item: dict[str, Any], name: str, where: str) -> str:
    value = item.get(name)
    if not isinstance(value, str) or not value:
        raise bad_request(f"{where}.{name} is required", param=f"{where}.{name}")
    return value
