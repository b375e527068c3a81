"""Gemini parts ⇄ core parts, shared by requests and responses in both directions.

Gemini signs parts (`thoughtSignature`) and a signature must go back on the same part. A
functionCall's signature rides on the core ToolCall itself. Core has no signature on text, so a
signature found on a text (or other non-thought) part travels as an empty ReasoningPart placed
just before it, and is re-attached to the part after it on the way out. Gemini function calls
usually have no id: we synthesize `call_<n>` and never send those back, while a real id (Vertex,
newer models, other providers) is echoed on call and response. `inlineData`/`fileData` with an
`image/*` type is an image; any other type (PDF, ...) is a document.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
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

_SYNTHETIC_ID = re.compile(r"call_\d+")
_CAMEL_HUMP = re.compile(r"(?<!^)(?=[A-Z])")
#: URLs Gemini resolves itself (Files API uploads); any other http(s) URL would need downloading
_FILES_API = "https://generativelanguage.googleapis.com/"


@dataclass(frozen=True, slots=True)
class FunctionResponse:
    """A `functionResponse` part before it is matched to the call it answers."""

    name: str
    response: Any
    id: str | None = None


Item = TextPart | ImagePart | DocumentPart | ReasoningPart | ToolCall | FunctionResponse


def wire(obj: dict[str, Any], camel: str) -> Any:
    """A field by its camelCase name or its snake_case alias: the API accepts both on input."""
    if camel in obj:
        return obj[camel]
    return obj.get(_CAMEL_HUMP.sub("_", camel).lower())


def camel_case(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(word[:1].upper() + word[1:] for word in rest)


def is_synthetic(call_id: str) -> bool:
    return _SYNTHETIC_ID.fullmatch(call_id) is not None


def dumps(value: Any) -> str:
    return orjson.dumps(value).decode()


# -- wire → core -----------------------------------------------------------------------------


def read_parts(raw: Any, where: str, ids: Iterator[int], *, strict: bool) -> list[Item]:
    """`strict` (client requests) rejects parts core cannot carry; responses skip them."""
    if raw is None:
        return []
    if not isinstance(raw, list):
        raise bad_request(f"{where}.parts must be an array", param=f"{where}.parts")
    items: list[Item] = []
    for j, part in enumerate(raw):
        here = f"{where}.parts[{j}]"
        if not isinstance(part, dict):
            raise bad_request(f"{here} must be an object", param=here)
        items.extend(_read_part(part, here, ids, strict))
    return items


def _read_part(part: dict[str, Any], here: str, ids: Iterator[int], strict: bool) -> list[Item]:
    raw_signature = wire(part, "thoughtSignature")
    signature = raw_signature if isinstance(raw_signature, str) and raw_signature else None
    text = part.get("text")
    if part.get("thought") is True:
        return [ReasoningPart(text if isinstance(text, str) else "", signature)]
    item = _content(part, here, ids)
    if isinstance(item, ToolCall) and signature:
        return [ToolCall(item.id, item.name, item.arguments, signature)]
    out: list[Item] = [ReasoningPart("", signature)] if signature else []
    if item is None and strict and signature is None:
        kinds = ", ".join(sorted(part)) or "nothing"
        raise bad_request(f"{here} holds {kinds}; Cloverleaf cannot carry that part", param=here)
    if item is not None and not (isinstance(item, TextPart) and not item.text):
        out.append(item)
    return out


def _content(part: dict[str, Any], here: str, ids: Iterator[int]) -> Item | None:
    text = part.get("text")
    if isinstance(text, str):
        return TextPart(text)
    inline = wire(part, "inlineData")
    if isinstance(inline, dict):
        data, mime = inline.get("data"), wire(inline, "mimeType")
        if not isinstance(data, str) or not isinstance(mime, str):
            raise bad_request(f"{here}.inlineData needs mimeType and data", param=here)
        if not mime.startswith("image/"):
            return DocumentPart(mime, data=data, filename=_name(inline))
        return ImagePart(data=data, media_type=mime)
    file = wire(part, "fileData")
    if isinstance(file, dict):
        uri, mime = wire(file, "fileUri"), wire(file, "mimeType")
        if not isinstance(uri, str):
            raise bad_request(f"{here}.fileData needs fileUri", param=here)
        if isinstance(mime, str) and not mime.startswith("image/"):
            return DocumentPart(mime, url=uri, filename=_name(file))
        return ImagePart(url=uri, media_type=mime if isinstance(mime, str) else None)
    call = wire(part, "functionCall")
    if isinstance(call, dict):
        number, name, call_id = next(ids), call.get("name"), call.get("id")
        if not isinstance(name, str) or not name:
            raise bad_request(f"{here}.functionCall needs a name", param=here)
        args = call.get("args")
        return ToolCall(
            call_id if isinstance(call_id, str) and call_id else f"call_{number}",
            name,
            dumps(args if args is not None else {}),
        )
    response = wire(part, "functionResponse")
    if isinstance(response, dict):
        name, call_id = response.get("name"), response.get("id")
        if not isinstance(name, str) or not name:
            raise bad_request(f"{here}.functionResponse needs a name", param=here)
        return FunctionResponse(
            name, response.get("response"), call_id if isinstance(call_id, str) else None
        )
    return None


def _name(blob: dict[str, Any]) -> str | None:
    """`displayName` (newer API versions) names an inline or uploaded file."""
    name = wire(blob, "displayName")
    return name if isinstance(name, str) and name else None


def split_items(items: list[Item]) -> tuple[tuple[Part, ...], tuple[ToolCall, ...]]:
    """A model turn's items as core message content and tool calls."""
    content = tuple(
        i for i in items if isinstance(i, TextPart | ImagePart | DocumentPart | ReasoningPart)
    )
    return content, tuple(i for i in items if isinstance(i, ToolCall))


# -- core → wire -----------------------------------------------------------------------------


def user_parts(message: Message, index: int) -> list[dict[str, Any]]:
    parts: list[dict[str, Any]] = []
    for j, part in enumerate(message.content):
        if isinstance(part, TextPart) and part.text:
            parts.append({"text": part.text})
        elif isinstance(part, ImagePart):
            parts.append(image_part(part, f"messages[{index}].content[{j}]"))
        elif isinstance(part, DocumentPart):
            parts.append(document_part(part, f"messages[{index}].content[{j}]"))
    return parts


def image_part(part: ImagePart, param: str) -> dict[str, Any]:
    if part.data is not None:
        mime = part.media_type or "application/octet-stream"
        return {"inlineData": {"mimeType": mime, "data": part.data}}
    url = part.url or ""
    if url.startswith(("http://", "https://")) and not url.startswith(_FILES_API):
        raise bad_request(
            f"{param} is an image URL, which Gemini cannot fetch; send it inline as base64",
            param=param,
        )
    file: dict[str, Any] = {"fileUri": url}
    if part.media_type:
        file["mimeType"] = part.media_type
    return {"fileData": file}


def document_part(part: DocumentPart, param: str) -> dict[str, Any]:
    """Inline bytes, or a file Gemini can resolve itself (Files API, `gs://`); the filename has
    no place on the wire (`displayName` is not accepted on input) and is dropped."""
    if part.data is not None:
        return {"inlineData": {"mimeType": part.media_type, "data": part.data}}
    url = part.url or ""
    if url.startswith(("http://", "https://")) and not url.startswith(_FILES_API):
        raise bad_request(
            f"{param} is a document URL, which Gemini cannot fetch; send it inline as base64",
            param=param,
        )
    return {"fileData": {"mimeType": part.media_type, "fileUri": url}}


def model_parts(message: Message, index: int) -> list[dict[str, Any]]:
    """An assistant turn's parts, each signature back on the part it was read from."""
    parts: list[dict[str, Any]] = []
    pending: str | None = None
    for j, part in enumerate(message.content):
        if isinstance(part, ReasoningPart):
            if part.text and not part.redacted:
                parts.append(_signed({"text": part.text, "thought": True}, part.signature))
            elif part.signature and not part.redacted:
                pending = part.signature
            continue
        if isinstance(part, TextPart):
            if not part.text:
                continue
            wire_part = {"text": part.text}
        elif isinstance(part, DocumentPart):
            wire_part = document_part(part, f"messages[{index}].content[{j}]")
        else:
            wire_part = image_part(part, f"messages[{index}].content[{j}]")
        parts.append(_signed(wire_part, pending))
        pending = None
    for call in message.tool_calls:
        function: dict[str, Any] = {"name": call.name, "args": call_args(call.arguments)}
        if call.id and not is_synthetic(call.id):
            function["id"] = call.id
        if call.signature:  # its own signature; a held one waits for the next part
            parts.append(_signed({"functionCall": function}, call.signature))
            continue
        parts.append(_signed({"functionCall": function}, pending))
        pending = None
    if pending is not None:
        parts.append({"text": "", "thoughtSignature": pending})
    return parts


def _signed(part: dict[str, Any], signature: str | None) -> dict[str, Any]:
    if signature:
        part["thoughtSignature"] = signature
    return part


def call_args(arguments: str) -> dict[str, Any]:
    """OpenAI-style argument text → the object Gemini wants; anything else is wrapped whole."""
    if not arguments.strip():
        return {}
    try:
        value = orjson.loads(arguments)
    except orjson.JSONDecodeError:
        return {"arguments": arguments}
    return value if isinstance(value, dict) else {"arguments": value}


def response_object(text: str, is_error: bool) -> dict[str, Any]:
    """`functionResponse.response` must be an object: JSON objects go as they are, anything else
    as `{"result": ...}`; a failed tool uses the `error` key Gemini documents for that."""
    try:
        value: Any = orjson.loads(text)
    except orjson.JSONDecodeError:
        value = text
    if is_error:
        return {"error": value}
    return value if isinstance(value, dict) else {"result": value}


def response_text(response: Any) -> tuple[str, bool]:
    """The inverse of `response_object`: (tool result text, failed?)."""
    if isinstance(response, dict) and len(response) == 1:
        key, value = next(iter(response.items()))
        if key in ("result", "output", "error"):
            return (value if isinstance(value, str) else dumps(value)), key == "error"
    return dumps(response if response is not None else {}), False
