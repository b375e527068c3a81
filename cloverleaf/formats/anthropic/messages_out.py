"""Core messages → Anthropic `system` + alternating turns (mapping.md §1, §2, §4).

System messages are hoisted into one string; tool results become `tool_result` blocks in a
user turn; consecutive same-role turns are merged (the API would merge them anyway, and several
tool results must share one turn). Nothing is downloaded: what Anthropic cannot take is a 400.
"""

from __future__ import annotations

from typing import Any

import orjson

from cloverleaf.core.chat import (
    DocumentPart,
    ImagePart,
    Message,
    Part,
    ReasoningPart,
    TextPart,
    ToolCall,
)
from cloverleaf.core.errors import bad_request
from cloverleaf.formats.anthropic.documents import document_block

#: the only image types Anthropic accepts inline
IMAGE_TYPES = frozenset({"image/jpeg", "image/png", "image/gif", "image/webp"})


def turns_from_core(messages: tuple[Message, ...]) -> tuple[str, list[dict[str, Any]]]:
    """(system text, messages). Empty messages are skipped: Anthropic rejects empty content."""
    system: list[str] = []
    turns: list[dict[str, Any]] = []
    for i, message in enumerate(messages):
        where = f"messages[{i}]"
        if message.role == "system":
            if message.text():
                system.append(message.text())
            continue
        if message.role == "tool":
            role, blocks = "user", [_tool_result(message, where)]
        elif message.role == "user":
            role = "user"
            blocks = [b for j, p in enumerate(message.content) if (b := _part(p, where, j))]
        else:
            role, blocks = "assistant", _assistant(message, where)
        if not blocks:
            continue
        if turns and turns[-1]["role"] == role:
            turns[-1]["content"].extend(blocks)
        else:
            turns.append({"role": role, "content": blocks})
    for turn in turns:
        # tool results must open their turn; sorted() is stable, so the rest keeps its order
        turn["content"] = sorted(turn["content"], key=lambda b: b["type"] != "tool_result")
    return "\n\n".join(system), turns


def _part(part: Part, where: str, index: int) -> dict[str, Any] | None:
    if isinstance(part, TextPart):
        return {"type": "text", "text": part.text} if part.text else None
    if isinstance(part, ImagePart):
        return image_block(part, f"{where}.content[{index}]")
    if isinstance(part, DocumentPart):
        return document_block(part, f"{where}.content[{index}]")
    return None  # reasoning in a user turn has no Anthropic meaning


def image_block(image: ImagePart, where: str) -> dict[str, Any]:
    if image.data is not None:
        if image.media_type not in IMAGE_TYPES:
            raise bad_request(
                f"{where}: Anthropic accepts only JPEG, PNG, GIF or WebP images,"
                f" not {image.media_type}",
                param=where,
            )
        source = {"type": "base64", "media_type": image.media_type, "data": image.data}
        return {"type": "image", "source": source}
    url = image.url or ""
    if not url.startswith(("https://", "http://")):
        raise bad_request(f"{where}: image URLs must be http(s) or data: URIs", param=where)
    return {"type": "image", "source": {"type": "url", "url": url}}


def _assistant(message: Message, where: str) -> list[dict[str, Any]]:
    blocks: list[dict[str, Any]] = []
    for j, part in enumerate(message.content):
        if isinstance(part, ReasoningPart):
            blocks.extend(_reasoning(part))
        elif isinstance(part, TextPart):
            if part.text:
                blocks.append({"type": "text", "text": part.text})
        else:
            here = f"{where}.content[{j}]"
            raise bad_request(
                f"{here}: Anthropic takes no images or documents in assistant turns", param=here
            )
    blocks.extend(_tool_use(call) for call in message.tool_calls)
    return blocks


def _reasoning(part: ReasoningPart) -> list[dict[str, Any]]:
    """Only Anthropic-signed thinking can go back; unsigned text (another provider's
    reasoning) would be rejected, and the API needs nothing it did not sign itself."""
    if part.redacted:
        return [{"type": "redacted_thinking", "data": part.data or ""}] if part.data else []
    if not part.signature:
        return []
    return [{"type": "thinking", "thinking": part.text, "signature": part.signature}]


def _tool_use(call: ToolCall) -> dict[str, Any]:
    return {"type": "tool_use", "id": call.id, "name": call.name, "input": tool_input(call)}


def tool_input(call: ToolCall) -> dict[str, Any]:
    """OpenAI arguments are JSON text that may be broken (a cut-off answer); Anthropic needs an
    object, so anything else becomes `{}` (mapping.md §4)."""
    try:
        value = orjson.loads(call.arguments or "{}")
    except orjson.JSONDecodeError:
        return {}
    return value if isinstance(value, dict) else {}


def _tool_result(message: Message, where: str) -> dict[str, Any]:
    if not message.tool_call_id:
        raise bad_request(f"{where}.tool_call_id: required", param=f"{where}.tool_call_id")
    block: dict[str, Any] = {"type": "tool_result", "tool_use_id": message.tool_call_id}
    if any(isinstance(p, ImagePart | DocumentPart) for p in message.content):
        block["content"] = [
            b for j, p in enumerate(message.content) if (b := _part(p, where, j)) is not None
        ]
    elif message.text():
        block["content"] = message.text()
    if message.is_error:
        block["is_error"] = True
    return block
