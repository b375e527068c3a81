"""How many input tokens a request would use: the provider's own count when the client and the
provider share a dialect that has one, otherwise a local estimate that says it is one."""

from __future__ import annotations

import math
from dataclasses import dataclass

import orjson

from cloverleaf.core.chat import ChatRequest, ImagePart, ReasoningPart, TextPart
from cloverleaf.core.errors import GatewayError
from cloverleaf.pipeline.client_chat import ClientChat
from cloverleaf.pipeline.gateway import Gateway
from cloverleaf.pipeline.same_dialect import same_dialect
from cloverleaf.providers.auth import auth_headers
from cloverleaf.transport.base import TransportError, UpstreamRequest

#: the estimate: ~4 characters per token (English text, common BPE vocabularies), a few tokens of
#: framing per message, and a flat cost per image (a low-detail image in most vision models)
CHARS_PER_TOKEN = 4
TOKENS_PER_MESSAGE = 3
TOKENS_PER_IMAGE = 85


@dataclass(frozen=True, slots=True)
class TokenCount:
    tokens: int
    estimated: bool


async def count_tokens(gateway: Gateway, client: ClientChat) -> TokenCount:
    target = await gateway.resolve(client.model)
    route = target.route
    counting = target.adapter.counting
    key = route.picker.choose(target.model, gateway.rng)
    if counting is None or key is None or not same_dialect(client, target):
        return TokenCount(estimate_tokens(client.core()), estimated=True)
    if key.token_source is not None:
        try:
            await key.token_source.refresh(gateway.transport, route.profile)
        except GatewayError as error:
            error.provider = error.provider or route.name
            raise
    model = key.upstream_model(target.model)
    body = orjson.dumps(counting.body(client.body, model))
    url = route.url(key, counting.path(model))
    headers = [("content-type", "application/json"), *route.extra_headers]
    headers += auth_headers(
        route.spec, key.credential, method="POST", url=url, headers=headers, body=body
    )
    try:
        response = await gateway.transport.send(
            UpstreamRequest("POST", url, tuple(headers), body, route.profile)
        )
        try:
            answer = await response.read()
        finally:
            await response.aclose()
    except TransportError as exc:
        raise GatewayError(502, str(exc), type="server_error", provider=route.name) from None
    if response.status != 200:
        raise target.adapter.dialect.parse_error(response.status, answer, route.name)
    try:
        count = counting.read(orjson.loads(answer))
    except orjson.JSONDecodeError:
        count = None
    if count is None:
        raise GatewayError(502, "the provider's token count was unreadable", provider=route.name)
    return TokenCount(count, estimated=False)


def estimate_tokens(request: ChatRequest) -> int:
    chars = 0
    images = 0
    for message in request.messages:
        for part in message.content:
            if isinstance(part, TextPart | ReasoningPart):
                chars += len(part.text)
            elif isinstance(part, ImagePart):
                images += 1
        chars += sum(len(c.name) + len(c.arguments) for c in message.tool_calls)
    for tool in request.tools:
        chars += len(tool.name) + len(tool.description or "") + len(orjson.dumps(tool.parameters))
    text_tokens = math.ceil(chars / CHARS_PER_TOKEN)
    return text_tokens + TOKENS_PER_MESSAGE * len(request.messages) + TOKENS_PER_IMAGE * images
