"""Image generation on Bedrock's InvokeModel (SigV4-signed like every Bedrock call): Amazon's
`TEXT_IMAGE` task (Titan Image Generator, Nova Canvas) and Stability's models. Which wire a model
speaks is read from its id, so inference profiles (`us.amazon.nova-canvas-v1:0`) work too.
Both answer base64 only."""

from __future__ import annotations

from typing import Any

import orjson

from cloverleaf.core.errors import bad_request
from cloverleaf.formats.bedrock_converse.embeddings import invoke_path
from cloverleaf.providers.images.sizes import aspect_ratio, dimensions
from cloverleaf.providers.images.spec import (
    GeneratedImage,
    ImageAnswer,
    ImageCall,
    ImageRequest,
    ImageResponse,
    Translated,
    at_most,
    no_images,
    refuse_unknown,
    sniffed_mime,
    unreadable,
    unsupported,
)

_AMAZON = ("titan-image", "nova-canvas")
_STABILITY = "stability."
#: Amazon's `numberOfImages` bound
AMAZON_MAX = 5
#: OpenAI's quality words as Amazon's two tiers ("auto" leaves the model's default)
_QUALITY = {"standard": "standard", "low": "standard", "medium": "standard"} | {
    "hd": "premium",
    "high": "premium",
}
_STABILITY_RATIOS = ("1:1", "16:9", "21:9", "2:3", "3:2", "4:5", "5:4", "9:16", "9:21")
_STABILITY_FORMATS = {"png": "image/png", "jpeg": "image/jpeg"}


def _wire(model: str) -> str:
    if any(marker in model for marker in _AMAZON):
        return "amazon"
    if _STABILITY in model:
        return "stability"
    raise bad_request(
        f"bedrock model {model!r} has no image wire the gateway speaks; use an "
        "amazon.titan-image-*, amazon.nova-canvas-* or stability.* model",
        param="model",
        code="images_not_supported",
    )


def _amazon_body(request: ImageRequest) -> dict[str, Any]:
    taken = frozenset({"size", "quality", "output_format", "negative_prompt", "seed", "cfg_scale"})
    refuse_unknown(request, "amazon", taken)
    at_most(request, "amazon", AMAZON_MAX)
    if request.get("output_format") not in (None, "png"):
        raise unsupported("output_format", "amazon", "png only")
    text: dict[str, Any] = {"text": request.prompt}
    if request.get("negative_prompt") is not None:
        text["negativeText"] = request.get("negative_prompt")
    config: dict[str, Any] = {"numberOfImages": request.n}
    found = dimensions(request.size)
    if found is not None:
        config["width"], config["height"] = found
    quality = request.get("quality")
    if quality is not None and quality != "auto":
        if quality not in _QUALITY:
            raise unsupported("quality", "amazon", f"{quality!r}")
        config["quality"] = _QUALITY[quality]
    for name, wire in (("seed", "seed"), ("cfg_scale", "cfgScale")):
        if request.get(name) is not None:
            config[wire] = request.get(name)
    return {"taskType": "TEXT_IMAGE", "textToImageParams": text, "imageGenerationConfig": config}


def _stability_body(request: ImageRequest) -> dict[str, Any]:
    refuse_unknown(
        request, "stability", frozenset({"size", "output_format", "negative_prompt", "seed"})
    )
    output_format = request.get("output_format") or "png"
    if output_format not in _STABILITY_FORMATS:
        raise unsupported("output_format", "stability", "png or jpeg only")
    body: dict[str, Any] = {"prompt": request.prompt, "output_format": output_format}
    ratio = aspect_ratio(request.size, _STABILITY_RATIOS)
    if ratio is not None:
        body["aspect_ratio"] = ratio
    for name in ("negative_prompt", "seed"):
        if request.get(name) is not None:
            body[name] = request.get(name)
    return body


def _calls(request: ImageRequest, model: str) -> list[ImageCall]:
    path = invoke_path(model)
    if _wire(model) == "amazon":
        return [ImageCall(path, _amazon_body(request))]
    return [ImageCall(path, _stability_body(request))] * request.n  # one image a call


def _decode(answers: list[ImageAnswer], model: str) -> ImageResponse:
    wire = _wire(model)
    images: list[GeneratedImage] = []
    refused = ""
    for answer in answers:
        try:
            parsed: Any = orjson.loads(answer.body)
        except orjson.JSONDecodeError:
            raise unreadable("bedrock", "not JSON") from None
        if not isinstance(parsed, dict) or not isinstance(parsed.get("images", []), list):
            raise unreadable("bedrock", "no images array")
        if parsed.get("error"):
            refused = str(parsed["error"])
        reasons = [r for r in parsed.get("finish_reasons") or [] if r]
        refused = refused or "; ".join(map(str, reasons))
        found = [d for d in parsed.get("images") or [] if isinstance(d, str)]
        images += [GeneratedImage(b64=data, mime=sniffed_mime(data)) for data in found]
    if not images:
        raise no_images(wire, refused or "no image in the answer")
    return ImageResponse(tuple(images))


BEDROCK = Translated(_calls, _decode)
