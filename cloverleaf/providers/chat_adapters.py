"""Per dialect: the codec, where its chat operation lives, and how its model list reads."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from enum import Enum
from typing import Any

import orjson

from cloverleaf.formats.base import ChatDialect
from cloverleaf.transport.base import Transport, UpstreamRequest, UpstreamResponse

#: (upstream model id, stream?) → path under the provider's API prefix, query string included
ChatPath = Callable[[str, bool], str]
ModelListParser = Callable[[bytes], frozenset[str] | None]


def openai_model_ids(body: bytes) -> frozenset[str] | None:
    """OpenAI's `{"data":[{"id"}]}`, or Together's bare array."""
    items = _items(body, "data")
    return (
        frozenset(i["id"] for i in items if isinstance(i, dict) and isinstance(i.get("id"), str))
        if items is not None
        else None
    )


def listed_names(key: str, field: str, strip: str = "") -> ModelListParser:
    """`{<key>: [{<field>: "..."}]}` lists (Gemini's `models[].name`, Ollama's tags)."""

    def parse(body: bytes) -> frozenset[str] | None:
        items = _items(body, key)
        if items is None:
            return None
        names = (i.get(field) for i in items if isinstance(i, dict))
        return frozenset(n.removeprefix(strip) for n in names if isinstance(n, str))

    return parse


def _items(body: bytes, key: str) -> list[Any] | None:
    try:
        data: Any = orjson.loads(body)
    except orjson.JSONDecodeError:
        return None
    items = data.get(key) if isinstance(data, dict) else data
    return items if isinstance(items, list) else None


@dataclass(frozen=True, slots=True)
class TokenCounting:
    """A provider's own token-count operation: where, what to send, how to read the count."""

    path: Callable[[str], str]
    body: Callable[[dict[str, Any], str], dict[str, Any]]
    read: Callable[[Any], int | None]


class Capability(Enum):
    """What a provider's chat wire can carry; the conformance suite skips only what is declared
    missing, and requests that need a missing capability are refused by the dialect."""

    SYSTEM = "system"
    IMAGES = "images"
    TOOLS = "tools"
    JSON_OUTPUT = "json_output"
    REASONING = "reasoning"
    USAGE = "usage"
    STREAMING = "streaming"


ALL_CAPABILITIES = frozenset(Capability)

#: Multi-request flows (Replicate: create a prediction, then poll it or open its stream). Called
#: with the first request and its 2xx response; returns the response the answer is read from.
FollowUp = Callable[[Transport, UpstreamRequest, UpstreamResponse], Awaitable[UpstreamResponse]]


@dataclass(frozen=True, slots=True)
class ChatAdapter:
    dialect: ChatDialect
    path: ChatPath
    #: a client of this same dialect can be served by forwarding its bytes
    byte_passthrough: bool = False
    #: where the provider lists its models (None: it has no list the gateway can read)
    models_path: str | None = "/models"
    parse_models: ModelListParser = openai_model_ids
    counting: TokenCounting | None = None
    capabilities: frozenset[Capability] = ALL_CAPABILITIES
    follow_up: FollowUp | None = None
    #: model-id prefix → adapter, for providers that host several wire formats (Vertex: Gemini
    #: models and Claude models); the first matching prefix wins, otherwise this adapter
    variants: tuple[tuple[str, ChatAdapter], ...] = ()
    #: the provider's envelope around its dialect's body (Vertex Claude: no `model`, an
    #: `anthropic_version`), applied to translated and forwarded same-dialect bodies alike
    body_rewrite: Callable[[dict[str, Any]], dict[str, Any]] | None = None
    #: headers a translated chat call adds, by its stream flag (Replicate: `Prefer: wait` on
    #: non-streamed creates only)
    call_headers: Callable[[bool], tuple[tuple[str, str], ...]] | None = None

    def for_model(self, model: str) -> ChatAdapter:
        for prefix, adapter in self.variants:
            if model.startswith(prefix):
                return adapter
        return self
