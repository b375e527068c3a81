"""Image generation on Google: Imagen models by `:predict` and Gemini's native image models
(`gemini-2.5-flash-image`, ...) by `:generateContent` asking for the IMAGE modality, on the
Gemini API and on Vertex AI alike (only the path prefix differs). Both answer base64 only."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import orjson

from cloverleaf.core.usage import Usage
from cloverleaf.providers.images.sizes import aspect_ratio
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
    unreadable,
    unsupported,
)

_IMAGEN_RATIOS = ("1:1", "3:4", "4:3", "9:16", "16:9")
_NATIVE_RATIOS = ("1:1", "2:3", "3:2", "3:4", "4:3", "4:5", "5:4", "9:16", "16:9", "21:9")
#: Imagen's `sampleCount` bound
IMAGEN_MAX = 4
#: provider-native request fields, snake_case as an OpenAI client sends extras → Imagen's names
_IMAGEN_EXTRAS = {
    "negative_prompt": "negativePrompt",
    "seed": "seed",
    "person_generation": "personGeneration",
    "enhance_prompt": "enhancePrompt",
    "add_watermark": "addWatermark",
    "safety_setting": "safetySetting",
    "image_size": "sampleImageSize",
    "language": "language",
}
_MIME = {"png": "image/png", "jpeg": "image/jpeg"}


def _imagen(model: str) -> bool:
    return model.startswith("imagen") or "/imagen" in model


def _imagen_body(request: ImageRequest) -> dict[str, Any]:
    refuse_unknown(
        request,
        "imagen",
        frozenset({"size", "output_format", "output_compression", *_IMAGEN_EXTRAS}),
    )
    at_most(request, "imagen", IMAGEN_MAX)
    parameters: dict[str, Any] = {"sampleCount": request.n}
    ratio = aspect_ratio(request.size, _IMAGEN_RATIOS)
    if ratio is not None:
        parameters["aspectRatio"] = ratio
    for name, wire in _IMAGEN_EXTRAS.items():
        if request.get(name) is not None:
            parameters[wire] = request.get(name)
    options: dict[str, Any] = {}
    output_format = request.get("output_format")
    if output_format is not None:
        if output_format not in _MIME:
            raise unsupported("output_format", "imagen", "png or jpeg only")
        options["mimeType"] = _MIME[output_format]
    if request.get("output_compression") is not None:
        options["compressionQuality"] = request.get("output_compression")
    if options:
        parameters["outputOptions"] = options
    return {"instances": [{"prompt": request.prompt}], "parameters": parameters}


def _native_body(request: ImageRequest) -> dict[str, Any]:
    refuse_unknown(request, "gemini", frozenset({"size", "seed"}))
    config: dict[str, Any] = {"responseModalities": ["IMAGE"]}
    ratio = aspect_ratio(request.size, _NATIVE_RATIOS)
    if ratio is not None:
        config["imageConfig"] = {"aspectRatio": ratio}
    if request.get("seed") is not None:
        config["seed"] = request.get("seed")
    return {
        "contents": [{"role": "user", "parts": [{"text": request.prompt}]}],
        "generationConfig": config,
    }


def _calls(prefix: str) -> Callable[[ImageRequest, str], list[ImageCall]]:
    def calls(request: ImageRequest, model: str) -> list[ImageCall]:
        if _imagen(model):
            return [ImageCall(f"{prefix}/{model}:predict", _imagen_body(request))]
        # one image per call: `candidateCount` is not offered for image output
        call = ImageCall(f"{prefix}/{model}:generateContent", _native_body(request))
        return [call] * request.n

    return calls


def _decode(answers: list[ImageAnswer], model: str) -> ImageResponse:
    if _imagen(model):
        return _imagen_decode(_json(answers[0].body))
    return _native_decode([_json(answer.body) for answer in answers])


def _imagen_decode(parsed: dict[str, Any]) -> ImageResponse:
    predictions = parsed.get("predictions") or []
    if not isinstance(predictions, list):
        raise unreadable("imagen", "predictions is not an array")
    images, reasons = [], []
    for item in predictions:
        data = item.get("bytesBase64Encoded") if isinstance(item, dict) else None
        if isinstance(data, str):
            mime = item.get("mimeType") or "image/png"
            images.append(GeneratedImage(b64=data, mime=mime, revised_prompt=item.get("prompt")))
        elif isinstance(item, dict) and item.get("raiFilteredReason"):
            reasons.append(str(item["raiFilteredReason"]))
    if not images:
        raise no_images("imagen", "; ".join(reasons) or "every image was filtered")
    return ImageResponse(tuple(images))


def _native_decode(answers: list[dict[str, Any]]) -> ImageResponse:
    images: list[GeneratedImage] = []
    why = ""
    prompt = completion = total = 0
    for parsed in answers:
        metadata = parsed.get("usageMetadata") or {}
        prompt += int(metadata.get("promptTokenCount") or 0)
        completion += int(metadata.get("candidatesTokenCount") or 0)
        total += int(metadata.get("totalTokenCount") or 0)
        candidates = parsed.get("candidates") or []
        first = candidates[0] if candidates and isinstance(candidates[0], dict) else {}
        parts = (first.get("content") or {}).get("parts") or []
        found = [p["inlineData"] for p in parts if isinstance(p, dict) and "inlineData" in p]
        for data in found:
            images.append(GeneratedImage(b64=data.get("data"), mime=data.get("mimeType", "")))
        if not found:
            feedback = parsed.get("promptFeedback") or {}
            why = feedback.get("blockReason") or first.get("finishReason") or "no image part"
    if not images:
        raise no_images("gemini", str(why))
    usage = Usage(prompt, completion, total or prompt + completion, images=len(images))
    return ImageResponse(tuple(images), usage)


def _json(body: bytes) -> dict[str, Any]:
    try:
        parsed = orjson.loads(body)
    except orjson.JSONDecodeError:
        raise unreadable("google", "not JSON") from None
    if not isinstance(parsed, dict):
        raise unreadable("google", "not a JSON object")
    return parsed


GEMINI = Translated(_calls("/models"), _decode)
VERTEX = Translated(_calls("/publishers/google/models"), _decode)
