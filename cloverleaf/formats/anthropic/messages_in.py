"""Anthropic content blocks → core messages (client requests and upstream answers).

Anthropic carries tool results inside user turns and the system prompt outside the list; core
keeps OpenAI's shape (mapping.md §1, §4), so a user turn can become several core messages.
`cache_control` and citations have no core meaning and are dropped. Tool-use ids may carry a
thought signature (call_ids.py).
"""

from __future__ import annotations

from typing import Any

import orjson

from cloverleaf.core.chat import ImagePart, Message, Part, ReasoningPart, TextPart, ToolCall
from cloverleaf.core.errors import GatewayError, bad_request
from cloverleaf.formats.anthropic.call_ids import decode_call_id
from cloverleaf.formats.anthropic.documents import document_to_core


def messages_to_core(raw: Any, system: Any) -> tuple[Message, ...]:
    """Validate a client's `system` + `messages`; errors name the offending field."""
    if not isinstance(raw, list) or not raw:
        raise bad_request("messages: must be a non-empty array", param="messages")
    out = list(_system(system))
    names: dict[str, str] = {}  # tool_use id → name, so results can carry the function name
    for i, message in enumerate(raw):
        where = f"messages[{i}]"
        if not isinstance(message, dict):
            raise bad_request(f"{where}: must be an object", param=where)
        role = message.get("role")
        blocks = _blocks(message.get("content"), f"{where}.content")
        if role == "user":
            out.extend(_user(blocks, where, names))
        elif role == "assistant":
            out.append(assistant_message(blocks, where, names, strict=True))
        elif role == "system":  # newer API versions (SDK 2.x) allow system turns in the list
            out.extend(_system(blocks))
        else:
            raise bad_request(
                f"{where}.role: must be user, assistant or system", param=f"{where}.role"
            )
    return tuple(out)


def _system(system: Any) -> tuple[Message, ...]:
    if system is None or system == "":
        return ()
    if isinstance(system, str):
        return (Message("system", (TextPart(system),)),)
    if isinstance(system, list):
        # one message per block, so hoisting back keeps a paragraph break between them
        out: list[Message] = []
        for j, block in enumerate(system):
            if not isinstance(block, dict) or block.get("type") != "text":
                raise bad_request(f"system[{j}]: only text blocks are allowed", param="system")
            out.append(Message("system", (TextPart(_text(block, f"system[{j}]")),)))
        return tuple(out)
    raise bad_request("system: must be a string or an array of text blocks", param="system")


def _blocks(content: Any, where: str) -> list[dict[str, Any]]:
    """A plain string is shorthand for one text block."""
    if isinstance(content, str):
        return [{"type": "text", "text": content}]
    if not isinstance(content, list) or not all(isinstance(b, dict) for b in content):
        raise bad_request(f"{where}: must be a string or an array of blocks", param=where)
    return content


def _user(blocks: list[dict[str, Any]], where: str, names: dict[str, str]) -> list[Message]:
    """Runs of ordinary blocks become user messages; each `tool_result` a tool message."""
    out: list[Message] = []
    parts: list[Part] = []
    for j, block in enumerate(blocks):
        here = f"{where}.content[{j}]"
        if block.get("type") == "tool_result":
            if parts:
                out.append(Message("user", tuple(parts)))
                parts = []
            out.append(_tool_result(block, here, names))
        else:
            parts.append(_user_part(block, here))
    if parts or not out:
        out.append(Message("user", tuple(parts)))
    return out


def _user_part(block: dict[str, Any], where: str) -> Part:
    kind = block.get("type")
    if kind == "text":
        return TextPart(_text(block, where))
    if kind == "image":
        return _image(block, where)
    if kind == "document":
        return document_to_core(block, where)
    raise bad_request(f"{where}: {kind!r} blocks are not supported by this gateway", param=where)


def _image(block: dict[str, Any], where: str) -> ImagePart:
    source = block.get("source")
    kind = source.get("type") if isinstance(source, dict) else None
    if kind == "base64" and isinstance(source, dict):
        data, media_type = source.get("data"), source.get("media_type")
        if isinstance(data, str) and isinstance(media_type, str):
            return ImagePart(data=data, media_type=media_type)
    elif kind == "url" and isinstance(source, dict) and isinstance(source.get("url"), str):
        return ImagePart(url=source["url"])
    raise bad_request(
        f"{where}.source: expected {{type: base64, media_type, data}} or {{type: url, url}}",
        param=f"{where}.source",
    )


def _tool_result(block: dict[str, Any], where: str, names: dict[str, str]) -> Message:
    wire_id = block.get("tool_use_id")
    if not isinstance(wire_id, str) or not wire_id:
        raise bad_request(f"{where}.tool_use_id: required", param=f"{where}.tool_use_id")
    call_id, _ = decode_call_id(wire_id)
    content = block.get("content")
    parts: tuple[Part, ...] = ()
    if content is not None:
        blocks = _blocks(content, f"{where}.content")
        parts = tuple(_user_part(b, f"{where}.content[{k}]") for k, b in enumerate(blocks))
    return Message(
        "tool",
        parts,
        tool_call_id=call_id,
        name=names.get(call_id),
        is_error=block.get("is_error") is True,
    )


def assistant_message(
    blocks: list[dict[str, Any]], where: str, names: dict[str, str], *, strict: bool
) -> Message:
    """`strict` rejects blocks core cannot carry (client input); upstream answers skip them
    (server tool blocks, and whatever new types the API adds)."""
    parts: list[Part] = []
    calls: list[ToolCall] = []
    for j, block in enumerate(blocks):
        here = f"{where}.content[{j}]"
        kind = block.get("type")
        if kind == "text":
            parts.append(TextPart(_text(block, here)))
        elif kind == "thinking":
            signature = block.get("signature")
            text = block.get("thinking")
            parts.append(
                ReasoningPart(text if isinstance(text, str) else "", str(signature or "") or None)
            )
        elif kind == "redacted_thinking":
            # the opaque payload must go back unchanged and never be shown
            parts.append(ReasoningPart.redacted_block(str(block.get("data", ""))))
        elif kind == "tool_use":
            call = _tool_use(block, here)
            names[call.id] = call.name
            calls.append(call)
        elif strict:
            raise bad_request(f"{here}: {kind!r} blocks are not supported", param=here)
    return Message("assistant", tuple(parts), tuple(calls))


def _tool_use(block: dict[str, Any], where: str) -> ToolCall:
    wire_id, name = block.get("id"), block.get("name")
    if not isinstance(wire_id, str) or not isinstance(name, str):
        raise bad_request(f"{where}: tool_use needs string id and name", param=where)
    call_id, signature = decode_call_id(wire_id)
    return ToolCall(call_id, name, orjson.dumps(block.get("input", {})).decode(), signature)


def _text(block: dict[str, Any], where: str) -> str:
    text = block.get("text")
    if not isinstance(text, str):
        raise GatewayError(400, f"{where}.text: must be a string", param=f"{where}.text")
    return text
