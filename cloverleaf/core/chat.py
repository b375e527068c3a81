"""The dialect-neutral chat request and response every translator speaks.

Formats decode their wire shape into these values and encode them back out; nothing here knows
a vendor. Fields that only one dialect has travel in `extra` and are dropped when the target
cannot carry them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum
from typing import Any, Literal

from cloverleaf.core.usage import Usage

Role = Literal["system", "user", "assistant", "tool"]


@dataclass(frozen=True, slots=True)
class TextPart:
    text: str


@dataclass(frozen=True, slots=True)
class ImagePart:
    """An image by URL, or inline as base64 `data` with its `media_type`."""

    url: str | None = None
    data: str | None = None
    media_type: str | None = None
    detail: str | None = None

    @classmethod
    def from_url(cls, url: str, detail: str | None = None) -> ImagePart:
        """Split `data:` URIs so every dialect gets bytes and a media type it can name."""
        if url.startswith("data:") and ";base64," in url:
            header, data = url[5:].split(";base64,", 1)
            return cls(data=data, media_type=header or "application/octet-stream", detail=detail)
        return cls(url=url, detail=detail)

    def as_url(self) -> str:
        if self.url is not None:
            return self.url
        return f"data:{self.media_type};base64,{self.data}"


@dataclass(frozen=True, slots=True)
class DocumentPart:
    """A file the model reads (PDF, ...): inline base64 `data` or a `url`, with its media type.

    `filename` is kept because some providers require a document name (Bedrock) or show it to
    the model (Anthropic `title`).
    """

    media_type: str
    data: str | None = None
    url: str | None = None
    filename: str | None = None

    @classmethod
    def from_data_url(cls, url: str, filename: str | None = None) -> DocumentPart | None:
        """A `data:<mime>;base64,<b64>` URI, or None when `url` is not one."""
        if not (url.startswith("data:") and ";base64," in url):
            return None
        header, data = url[5:].split(";base64,", 1)
        return cls(header or "application/octet-stream", data=data, filename=filename)

    def as_data_url(self) -> str:
        return f"data:{self.media_type};base64,{self.data}"


@dataclass(frozen=True, slots=True)
class ReasoningPart:
    """Model thinking; `signature` must go back unchanged where the provider requires it.

    Redacted reasoning (Anthropic `redacted_thinking`, Bedrock `redactedContent`) has no text:
    its opaque payload sits in `data`, goes back to its provider unchanged, and is never shown.
    """

    text: str
    signature: str | None = None
    redacted: bool = False
    data: str | None = None

    @classmethod
    def redacted_block(cls, data: str) -> ReasoningPart:
        return cls("", redacted=True, data=data)


Part = TextPart | ImagePart | DocumentPart | ReasoningPart


@dataclass(frozen=True, slots=True)
class ToolCall:
    """`signature` is an opaque token the provider attached to this call (Gemini's
    `thoughtSignature`); it must go back unchanged with the call in later turns."""

    id: str
    name: str
    arguments: str  # a JSON text, as OpenAI carries it; may be invalid JSON
    signature: str | None = None


@dataclass(frozen=True, slots=True)
class Message:
    role: Role
    content: tuple[Part, ...] = ()
    tool_calls: tuple[ToolCall, ...] = ()
    tool_call_id: str | None = None  # role "tool": which call this answers
    name: str | None = None  # role "tool": the function's name, when known
    is_error: bool = False  # role "tool": the tool failed

    def text(self) -> str:
        return "".join(p.text for p in self.content if isinstance(p, TextPart))


@dataclass(frozen=True, slots=True)
class Tool:
    name: str
    description: str | None = None
    parameters: dict[str, Any] = field(default_factory=lambda: {"type": "object", "properties": {}})
    strict: bool | None = None


@dataclass(frozen=True, slots=True)
class ToolChoice:
    """`auto`, `none`, `required` (some tool), or `function` with the tool's `name`."""

    mode: Literal["auto", "none", "required", "function"] = "auto"
    name: str | None = None


@dataclass(frozen=True, slots=True)
class ResponseFormat:
    kind: Literal["text", "json_object", "json_schema"] = "text"
    schema: dict[str, Any] | None = None
    name: str | None = None
    strict: bool | None = None


@dataclass(frozen=True, slots=True)
class Reasoning:
    """Either an effort level or a token budget; translators convert one into the other."""

    effort: str | None = None
    budget_tokens: int | None = None


@dataclass(frozen=True, slots=True)
class ChatRequest:
    model: str
    messages: tuple[Message, ...]
    stream: bool = False
    max_tokens: int | None = None
    temperature: float | None = None
    top_p: float | None = None
    top_k: int | None = None
    stop: tuple[str, ...] = ()
    seed: int | None = None
    frequency_penalty: float | None = None
    presence_penalty: float | None = None
    tools: tuple[Tool, ...] = ()
    tool_choice: ToolChoice | None = None
    parallel_tool_calls: bool | None = None
    response_format: ResponseFormat | None = None
    reasoning: Reasoning | None = None
    user: str | None = None
    #: fields of the client's dialect with no neutral meaning (kept for same-dialect targets)
    extra: dict[str, Any] = field(default_factory=dict)
    #: the dialect `extra` came from: an encoder forwards `extra` only to its own dialect
    source: str = ""


class FinishReason(Enum):
    """OpenAI's finish reasons, the lingua franca (mapping.md §5); the raw value rides along."""

    STOP = "stop"
    LENGTH = "length"
    TOOL_CALLS = "tool_calls"
    CONTENT_FILTER = "content_filter"
    ERROR = "error"


@dataclass(frozen=True, slots=True)
class ChatResponse:
    id: str
    model: str
    message: Message
    finish_reason: FinishReason
    usage: Usage
    created: int = 0
    raw_finish_reason: str | None = None


# -- streaming -------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class StreamStart:
    id: str
    model: str
    created: int = 0


@dataclass(frozen=True, slots=True)
class TextDelta:
    text: str


@dataclass(frozen=True, slots=True)
class ReasoningDelta:
    """Thinking text, a signature closing it, or (`redacted`) one whole redacted block whose
    opaque payload is `data`."""

    text: str = ""
    signature: str | None = None
    redacted: bool = False
    data: str | None = None


@dataclass(frozen=True, slots=True)
class ToolCallDelta:
    """`index` counts tool calls only (0, 1, ...); `id`/`name`/`signature` come with a call's
    first delta."""

    index: int
    arguments: str = ""
    id: str | None = None
    name: str | None = None
    signature: str | None = None


@dataclass(frozen=True, slots=True)
class StreamFinish:
    reason: FinishReason
    raw: str | None = None


@dataclass(frozen=True, slots=True)
class UsageReport:
    usage: Usage


StreamEvent = StreamStart | TextDelta | ReasoningDelta | ToolCallDelta | StreamFinish | UsageReport


def coalesce(events: list[StreamEvent]) -> list[StreamEvent]:
    """Join adjacent text, reasoning and tool-argument deltas.

    Events that arrived in one upstream read are one moment for the client too: re-encoding
    them as one client event each costs CPU and bytes for nothing.
    """
    merged: list[StreamEvent] = []
    for event in events:
        last = merged[-1] if merged else None
        if isinstance(event, TextDelta) and isinstance(last, TextDelta):
            merged[-1] = TextDelta(last.text + event.text)
        elif (
            isinstance(event, ReasoningDelta)
            and isinstance(last, ReasoningDelta)
            and event.signature is None
            and last.signature is None
            and not (event.redacted or last.redacted)
        ):
            merged[-1] = ReasoningDelta(last.text + event.text)
        elif (
            isinstance(event, ToolCallDelta)
            and isinstance(last, ToolCallDelta)
            and event.index == last.index
            and event.id is None
            and event.name is None
            and event.signature is None
        ):
            merged[-1] = ToolCallDelta(
                last.index, last.arguments + event.arguments, last.id, last.name, last.signature
            )
        else:
            merged.append(event)
    return merged


def first_document(messages: tuple[Message, ...]) -> str | None:
    """Where the first DocumentPart sits (`messages[i].content[j]`), for dialects that have no
    way to carry one and must name it in their 400."""
    for i, message in enumerate(messages):
        for j, part in enumerate(message.content):
            if isinstance(part, DocumentPart):
                return f"messages[{i}].content[{j}]"
    return None
