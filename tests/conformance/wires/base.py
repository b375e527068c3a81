"""What the conformance cases need from one upstream wire: script its mock, read its requests.

Each provider mock has its own reply types and records requests in its own wire format. A
`Wire` hides the first difference (cases say "answer with a tool call", not which dataclass)
and reads the second *in that wire's shape*: `system()` on Anthropic reads the top-level
`system`, on Gemini `systemInstruction.parts`, and so on. Cases then compare plain values.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass
from typing import Any

import orjson

JSON = dict[str, Any]
#: (role, text) of one conversation turn, roles normalised to user/assistant/tool
Turn = tuple[str, str]


@dataclass(frozen=True)
class Image:
    """An image as the upstream received it: by `url`, or inline `data` with its media type."""

    url: str | None = None
    data: str | None = None
    media_type: str | None = None


@dataclass(frozen=True)
class ToolResult:
    """A tool result as sent upstream: linked to its call by id, by name, or both."""

    call_id: str | None
    name: str | None
    text: str


@dataclass(frozen=True)
class UsageSeen:
    """Token counts as an OpenAI client reads them."""

    prompt: int
    completion: int
    cached: int = 0
    reasoning: int = 0


class Wire(ABC):
    """One provider's mock plus readers for the requests it recorded."""

    #: the upstream takes images by URL (otherwise the gateway must refuse them with a 400)
    image_urls: bool = True
    #: the wire's thinking switch for `reasoning_effort: "high"` (mapping.md §9 budgets)
    reasoning_high: object = 16384
    mock: Any

    def __init__(self, mock: Any) -> None:
        self.mock = mock

    # -- scripting ------------------------------------------------------------------------------
    @abstractmethod
    def text(self, text: str) -> None:
        """The next answer is this assistant text."""

    @abstractmethod
    def tool_call(self, name: str, arguments: JSON) -> None:
        """The next answer calls `name` with `arguments`."""

    @abstractmethod
    def thinking(self, thought: str, text: str, stream: bool) -> None:
        """The next answer reasons `thought`, then says `text`."""

    @abstractmethod
    def usage(self, text: str, stream: bool) -> UsageSeen:
        """The next answer says `text` with distinctive counts; returns what the client must see
        (cached and reasoning counts are 0 where this wire has no field for them)."""

    @abstractmethod
    def error(self, status: int, message: str) -> None:
        """The next answer is this HTTP error, in the wire's error shape."""

    @abstractmethod
    def hang(self, stream: bool) -> None:
        """The next answer never finishes: a slow stream, or a long delay before a whole one."""

    # -- reading what the upstream received -----------------------------------------------------
    def bodies(self) -> list[JSON]:
        return [r.json for r in self.mock.requests]

    def request_count(self) -> int:
        return len(self.mock.requests)

    def wait_for_disconnect(self, timeout: float) -> bool:
        return bool(self.mock.wait_for_disconnect(timeout))

    def reset(self) -> None:
        self.mock.reset()

    @abstractmethod
    def streamed(self, index: int) -> bool:
        """Whether recorded request `index` asked for a stream (in the body or the path)."""

    @abstractmethod
    def system(self, body: JSON) -> str:
        """The system prompt, "" when there is none."""

    @abstractmethod
    def turns(self, body: JSON) -> list[Turn]:
        """The conversation's text turns (system excluded)."""

    @abstractmethod
    def images(self, body: JSON) -> list[Image]:
        """Every image part, in order."""

    @abstractmethod
    def tools(self, body: JSON) -> dict[str, JSON]:
        """Offered tools: name → JSON schema of the parameters."""

    @abstractmethod
    def assistant_calls(self, body: JSON) -> list[tuple[str, JSON]]:
        """Tool calls an assistant turn of the history made: (name, arguments)."""

    @abstractmethod
    def tool_results(self, body: JSON) -> list[ToolResult]:
        """Tool results the history carries."""

    @abstractmethod
    def json_output(self, body: JSON) -> tuple[str, JSON | None] | None:
        """("json_schema", schema) or ("json_object", None) as requested; None when plain."""

    @abstractmethod
    def reasoning(self, body: JSON) -> object:
        """The wire's thinking switch (an effort level or a token budget); None when off."""


def text_of(content: Any, key: str = "text") -> str:
    """A string, or the joined `key` fields of a list of parts."""
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return "".join(str(p.get(key, "")) for p in content if isinstance(p, dict))
    return ""


def named_sse(events: list[JSON]) -> bytes:
    """SSE with an `event:` line naming each payload's `type` (Anthropic, Cohere)."""
    return b"".join(
        f"event: {e['type']}\ndata: ".encode() + orjson.dumps(e) + b"\n\n" for e in events
    )
