"""Image generation on OpenAI's wire: OpenAI and Azure take the client's own body; Together
takes it with OpenAI's `size` and `response_format` in its own terms (width/height, base64)."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

import orjson

from cloverleaf.providers.images.sizes import dimensions
from cloverleaf.providers.images.spec import (
    OPENAI_FIELDS,
    Forwarded,
    GeneratedImage,
    ImageAnswer,
    ImageCall,
    ImageRequest,
    ImageResponse,
    Translated,
    refuse_unknown,
    unreadable,
)

_PATH = "/images/generations"
#: OpenAI fields Together honours as they are; its own (steps, seed, negative_prompt, ...) pass
_TOGETHER_TAKES = frozenset({"size", "output_format"})
_TOGETHER_SENDS = frozenset({"prompt", "n", "output_format"})
_TOGETHER_FORMATS = {"b64_json": "base64", "url": "url"}


def _azure_path(model: str) -> str:
    return f"/deployments/{quote(model, safe='')}{_PATH}"


def _together_calls(request: ImageRequest, model: str) -> list[ImageCall]:
    native = frozenset(request.fields) - OPENAI_FIELDS
    refuse_unknown(request, "together", _TOGETHER_TAKES | native)
    # OpenAI's fields that only restated a default stay behind; Together's own go as sent
    body: dict[str, Any] = {
        k: v for k, v in request.fields.items() if k in _TOGETHER_SENDS or k not in OPENAI_FIELDS
    }
    body["model"] = model
    found = dimensions(request.size)
    if found is not None:
        body["width"], body["height"] = found
    if request.response_format is not None:
        body["response_format"] = _TOGETHER_FORMATS[request.response_format]
    return [ImageCall(_PATH, body)]


def _together_decode(answers: list[ImageAnswer], model: str) -> ImageResponse:
    try:
        parsed: Any = orjson.loads(answers[0].body)
    except orjson.JSONDecodeError:
        raise unreadable("together", "not JSON") from None
    data = parsed.get("data") if isinstance(parsed, dict) else None
    if not isinstance(data, list):
        raise unreadable("together", "no data array")
    images = []
    for item in data:
        b64 = item.get("b64_json") if isinstance(item, dict) else None
        url = item.get("url") if isinstance(item, dict) else None
        if not isinstance(b64, str) and not isinstance(url, str):
            raise unreadable("together", "an item with neither b64_json nor url")
        images.append(GeneratedImage(b64=b64 if isinstance(b64, str) else None, url=url))
    return ImageResponse(tuple(images))


OPENAI = Forwarded(lambda model: _PATH)
AZURE = Forwarded(_azure_path)
TOGETHER = Translated(_together_calls, _together_decode)
