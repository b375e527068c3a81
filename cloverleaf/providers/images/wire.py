"""OpenAI's `/images/generations` wire: the client's request read, answers rendered and read.

OpenAI, Azure and Together speak it; every other provider's answer is rendered into it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import orjson

from cloverleaf.core.errors import bad_request
from cloverleaf.core.usage import Usage
from cloverleaf.formats.json_body import parse_json_object
from cloverleaf.formats.openai_chat.request import _fallbacks as fallbacks_of
from cloverleaf.providers.images.spec import GeneratedImage, ImageRequest, ImageResponse

#: OpenAI's bound on `n`
MAX_IMAGES = 10
#: fields only the gateway reads; never sent upstream
GATEWAY_FIELDS = frozenset({"fallbacks"})
_FORMATS = ("url", "b64_json")


@dataclass(frozen=True, slots=True)
class ClientImages:
    """The parsed request, with the client's own JSON object for the providers it is forwarded
    to as it came (model rewritten)."""

    request: ImageRequest
    body: dict[str, Any]
    fallbacks: tuple[str, ...] = ()


def parse_image_request(raw: bytes) -> ClientImages:
    body = parse_json_object(raw)
    model = body.get("model")
    if not isinstance(model, str) or not model:
        raise bad_request("model is required", param="model")
    prompt = body.get("prompt")
    if not isinstance(prompt, str) or not prompt:
        raise bad_request("prompt must be a non-empty string", param="prompt")
    n = body.get("n", 1)
    if n is None:
        n = 1
    if not isinstance(n, int) or isinstance(n, bool) or not 1 <= n <= MAX_IMAGES:
        raise bad_request(f"n must be an integer from 1 to {MAX_IMAGES}", param="n")
    size = body.get("size")
    if size is not None and not isinstance(size, str):
        raise bad_request("size must be a string", param="size")
    response_format = body.get("response_format")
    if response_format is not None and response_format not in _FORMATS:
        raise bad_request("response_format must be url or b64_json", param="response_format")
    if body.get("stream") is True:  # partial-image events are not relayed yet
        raise bad_request(
            "stream is not supported for image generation by this gateway",
            param="stream",
            code="unsupported_parameter",
        )
    fields = {k: v for k, v in body.items() if k not in GATEWAY_FIELDS}
    request = ImageRequest(model, prompt, n, size, response_format, fields)
    return ClientImages(request, body, fallbacks_of(body.get("fallbacks")))


def forwarded_body(client: ClientImages, model: str) -> bytes:
    """The client's object for an OpenAI-dialect upstream: its model, no gateway fields."""
    wire = {k: v for k, v in client.body.items() if k not in GATEWAY_FIELDS}
    wire["model"] = model
    return orjson.dumps(wire)


def forwarded_usage(body: bytes) -> Usage:
    """Images returned and, for gpt-image models, the tokens OpenAI reports."""
    try:
        parsed: Any = orjson.loads(body)
    except orjson.JSONDecodeError:
        return Usage()
    if not isinstance(parsed, dict):
        return Usage()
    data = parsed.get("data")
    count = len(data) if isinstance(data, list) else 0
    return token_usage(parsed.get("usage"), count)


def token_usage(raw: Any, images: int) -> Usage:
    """OpenAI's image usage (`input_tokens`/`output_tokens`) as the gateway's, plus images."""
    if not isinstance(raw, dict):
        return Usage(images=images)
    prompt, completion = _int(raw.get("input_tokens")), _int(raw.get("output_tokens"))
    total = _int(raw.get("total_tokens")) or prompt + completion
    return Usage(
        prompt_tokens=prompt, completion_tokens=completion, total_tokens=total, images=images
    )


def render(response: ImageResponse, created: int, response_format: str | None) -> bytes:
    """OpenAI's answer. Base64 images asked for as `url` become `data:` URLs (RFC 2397): the
    provider hosts nothing, and a data URL is still a URL a client can display."""
    data = [_item(image, response_format) for image in response.images]
    answer: dict[str, Any] = {"created": created, "data": data}
    usage = response.usage
    if usage is not None and usage.total_tokens:
        answer["usage"] = {
            "input_tokens": usage.prompt_tokens,
            "output_tokens": usage.completion_tokens,
            "total_tokens": usage.total_tokens,
        }
    return orjson.dumps(answer)


def _item(image: GeneratedImage, response_format: str | None) -> dict[str, Any]:
    item: dict[str, Any]
    if image.b64 is None:
        item = {"url": image.url}
    elif response_format == "url":
        item = {"url": f"data:{image.mime};base64,{image.b64}"}
    else:
        item = {"b64_json": image.b64}
    if image.revised_prompt:
        item["revised_prompt"] = image.revised_prompt
    return item


def _int(value: Any) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) else 0
