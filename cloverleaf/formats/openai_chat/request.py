"""Read only what routing needs from a chat request, and forward the rest as the client sent it."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import orjson

from cloverleaf.core.errors import bad_request
from cloverleaf.formats.json_body import parse_json_object

#: Bifrost's request extensions: consumed by the gateway, never sent upstream
GATEWAY_FIELDS = ("fallbacks",)


@dataclass(frozen=True, slots=True)
class PeekedChat:
    raw: bytes
    body: dict[str, Any]
    model: str
    stream: bool
    #: the client asked for the usage chunk (`stream_options.include_usage`)
    wants_stream_usage: bool
    fallbacks: tuple[str, ...]


def parse_chat_request(raw: bytes) -> PeekedChat:
    """Validate the few fields the gateway relies on; the upstream validates the rest."""
    body = parse_json_object(raw)
    model = body.get("model")
    if not isinstance(model, str) or not model:
        raise bad_request("model is required and must be a non-empty string", param="model")
    messages = body.get("messages")
    if not isinstance(messages, list) or not messages:
        raise bad_request("messages must be a non-empty array", param="messages")
    stream = body.get("stream", False)
    if not isinstance(stream, bool):
        raise bad_request("stream must be a boolean", param="stream")
    options = body.get("stream_options")
    wants_usage = isinstance(options, dict) and options.get("include_usage") is True
    return PeekedChat(raw, body, model, stream, wants_usage, _fallbacks(body.get("fallbacks")))


def _fallbacks(value: Any) -> tuple[str, ...]:
    if value is None:
        return ()
    if not isinstance(value, list):
        raise bad_request("fallbacks must be an array of provider/model strings", param="fallbacks")
    names = []
    for item in value:
        if isinstance(item, str) and item:
            names.append(item)
        elif isinstance(item, dict) and item.get("provider") and item.get("model"):
            names.append(f"{item['provider']}/{item['model']}")
        else:
            raise bad_request(
                "each fallback must be a provider/model string or {provider, model}",
                param="fallbacks",
            )
    return tuple(names)


@dataclass(frozen=True, slots=True)
class BodyRewrite:
    """What must change between the client's body and the upstream's."""

    model: str
    add_stream_usage: bool = False
    renamed: tuple[tuple[str, str], ...] = ()
    dropped: frozenset[str] = frozenset()
    dropped_message_fields: frozenset[str] = frozenset()


def upstream_body(request: PeekedChat, rewrite: BodyRewrite) -> bytes:
    """The bytes to send upstream: the client's own bytes whenever nothing needs to change."""
    body = request.body
    if (
        rewrite.model == request.model
        and not rewrite.add_stream_usage
        and not rewrite.renamed
        and not (rewrite.dropped & body.keys())
        and not rewrite.dropped_message_fields
        and not any(name in body for name in GATEWAY_FIELDS)
    ):
        return request.raw
    out = {k: v for k, v in body.items() if k not in GATEWAY_FIELDS and k not in rewrite.dropped}
    out["model"] = rewrite.model
    for old, new in rewrite.renamed:
        if old in out:
            out[new] = out.pop(old)
    if rewrite.add_stream_usage:
        options = out.get("stream_options")
        out["stream_options"] = {
            **(options if isinstance(options, dict) else {}),
            "include_usage": True,
        }
    if rewrite.dropped_message_fields:
        out["messages"] = [
            {k: v for k, v in m.items() if k not in rewrite.dropped_message_fields}
            if isinstance(m, dict)
            else m
            for m in out["messages"]
        ]
    return orjson.dumps(out)
