"""Wire answers of image generation, shared by the mocks: OpenAI's `/v1/images/generations`
(registered on the OpenAI mock at import), Imagen's `:predict` (Gemini API and Vertex), Gemini's
native image models on `:generateContent`, and Bedrock's Amazon (Titan, Nova Canvas) and
Stability InvokeModel bodies.

Images are real, tiny PNGs (one pixel, coloured by a hash of the prompt and the image's index),
so tests can predict the exact bytes: `b64png(prompt, index)`. Prompts containing "forbidden" are
refused the way each provider refuses an unsafe prompt. Functions return (status, answer), the
answer a JSON object or, for a refusal, the error message.
"""

from __future__ import annotations

import base64
import hashlib
import struct
import zlib
from typing import Any

import orjson

from tests.mocks.openai_upstream import RecordedRequest, register_operation

JSON = dict[str, Any]
CREATED = 1_713_833_628
#: output tokens OpenAI reports per gpt-image image; Gemini's per native image
GPT_IMAGE_TOKENS, GEMINI_IMAGE_TOKENS = 1056, 1290
REFUSED_WORD = "forbidden"
IMAGEN_RATIOS = ("1:1", "3:4", "4:3", "9:16", "16:9")
STABILITY_RATIOS = ("1:1", "16:9", "21:9", "2:3", "3:2", "4:5", "5:4", "9:16", "9:21")
GEMINI_RATIOS = ("1:1", "2:3", "3:2", "3:4", "4:3", "4:5", "5:4", "9:16", "16:9", "21:9")


def png(prompt: str, index: int = 0) -> bytes:
    """A valid one-pixel RGB PNG whose colour depends on the prompt and index."""
    red, green, blue = hashlib.sha256(f"{prompt}#{index}".encode()).digest()[:3]

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    header = struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0)  # 1x1, 8-bit, truecolour
    pixels = zlib.compress(bytes([0, red, green, blue]))  # filter byte, then RGB
    return (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", pixels) + chunk(b"IEND", b"")
    )


def b64png(prompt: str, index: int = 0) -> str:
    return base64.b64encode(png(prompt, index)).decode()


def image_url(prompt: str, index: int = 0) -> str:
    digest = hashlib.sha256(f"{prompt}#{index}".encode()).hexdigest()[:16]
    return f"https://images.mock.test/{digest}.png"


def _words(text: str) -> int:
    return max(1, len(text.split()))


def _openai_error(status: int, message: str, param: str | None, code: str | None = None) -> JSON:
    kind = "rate_limit_exceeded" if status == 429 else "invalid_request_error"
    return {"error": {"message": message, "type": kind, "param": param, "code": code}}


def openai_images(body: Any) -> tuple[int, JSON]:
    """`POST /v1/images/generations`. dall-e models answer URLs unless asked for b64_json
    (dall-e-3 adds a revised prompt); gpt-image models always answer base64 with token usage.
    Models named `busy-*` answer 429, as an exhausted quota does."""
    if not isinstance(body, dict) or not isinstance(body.get("model"), str):
        return 400, _openai_error(400, "you must provide a model parameter", "model")
    model, prompt = body["model"], body.get("prompt")
    if model.startswith("busy-"):
        return 429, _openai_error(
            429, "Rate limit reached for images per minute", None, "rate_limit_exceeded"
        )
    if not isinstance(prompt, str) or not prompt:
        return 400, _openai_error(400, "you must provide a prompt parameter", "prompt")
    if REFUSED_WORD in prompt:
        why = "Your request was rejected as a result of our safety system."
        return 400, _openai_error(400, why, None, "content_policy_violation")
    n = body.get("n") or 1
    if not isinstance(n, int) or not 1 <= n <= 10 or (model == "dall-e-3" and n != 1):
        return 400, _openai_error(400, f"Invalid n: {n!r} for {model}", "n")
    gpt_image = model.startswith("gpt-image")
    response_format = body.get("response_format")
    if gpt_image and response_format is not None:
        return 400, _openai_error(400, "Unknown parameter: 'response_format'.", "response_format")
    if response_format not in (None, "url", "b64_json"):
        return 400, _openai_error(
            400, f"Invalid response_format {response_format!r}", "response_format"
        )
    data: list[JSON] = []
    for index in range(n):
        item: JSON = {"b64_json": b64png(prompt, index)}
        if not gpt_image and response_format != "b64_json":
            item = {"url": image_url(prompt, index)}
        if model == "dall-e-3":
            item["revised_prompt"] = f"A detailed picture: {prompt}"
        data.append(item)
    answer: JSON = {"created": CREATED, "data": data}
    if gpt_image:
        words = _words(prompt)
        answer["usage"] = {
            "input_tokens": words,
            "output_tokens": GPT_IMAGE_TOKENS * n,
            "total_tokens": words + GPT_IMAGE_TOKENS * n,
            "input_tokens_details": {"text_tokens": words, "image_tokens": 0},
        }
    return 200, answer


def _openai_operation(request: RecordedRequest) -> tuple[int, bytes, bytes]:
    status, answer = openai_images(request.json)
    return status, b"application/json", orjson.dumps(answer)


register_operation("POST", "/v1/images/generations", _openai_operation)


def imagen_predict(body: Any, vertex: bool) -> tuple[int, JSON | str]:
    """Imagen's `:predict`: `instances[0].prompt`, `parameters.sampleCount` (1-4) and
    `aspectRatio`. A refused prompt answers no predictions (the Gemini API's `{}`); Vertex's
    `enhancePrompt` puts the prompt it drew in each prediction."""
    if not isinstance(body, dict) or not isinstance(body.get("instances"), list):
        return 400, "instances is required"
    instances = body["instances"]
    if len(instances) != 1 or not isinstance(instances[0].get("prompt"), str):
        return 400, "exactly one instance with a prompt is supported"
    prompt = instances[0]["prompt"]
    parameters = body.get("parameters") or {}
    count = parameters.get("sampleCount", 4)
    if not isinstance(count, int) or not 1 <= count <= 4:
        return 400, "sampleCount must be between 1 and 4"
    if parameters.get("aspectRatio", "1:1") not in IMAGEN_RATIOS:
        return 400, f"Unsupported aspect ratio {parameters.get('aspectRatio')!r}"
    mime = (parameters.get("outputOptions") or {}).get("mimeType", "image/png")
    if mime not in ("image/png", "image/jpeg"):
        return 400, f"Unsupported mime type {mime}"
    if REFUSED_WORD in prompt:
        return 200, {}
    predictions = []
    for index in range(count):
        item: JSON = {"mimeType": "image/png", "bytesBase64Encoded": b64png(prompt, index)}
        if vertex and parameters.get("enhancePrompt"):
            item["prompt"] = f"enhanced: {prompt}"
        predictions.append(item)
    return 200, {"predictions": predictions}


def gemini_image(body: Any) -> tuple[int, JSON | str]:
    """A native image model's `:generateContent`: one image part when `responseModalities`
    asks for IMAGE (text alone otherwise), image tokens in `usageMetadata`."""
    if not isinstance(body, dict) or not isinstance(body.get("contents"), list):
        return 400, "contents is required"
    texts = [p.get("text", "") for c in body["contents"] for p in c.get("parts", [])]
    prompt = " ".join(t for t in texts if t)
    config = body.get("generationConfig") or {}
    ratio = (config.get("imageConfig") or {}).get("aspectRatio", "1:1")
    if ratio not in GEMINI_RATIOS:
        return 400, f"Unsupported aspect ratio: {ratio}"
    words = _words(prompt)
    if REFUSED_WORD in prompt:
        usage = {"promptTokenCount": words, "totalTokenCount": words}
        return 200, {
            "promptFeedback": {"blockReason": "PROHIBITED_CONTENT"},
            "usageMetadata": usage,
        }
    modalities = [m.upper() for m in config.get("responseModalities") or ["TEXT"]]
    parts: list[JSON] = []
    if "TEXT" in modalities:
        parts.append({"text": f"Here is {prompt}"})
    if "IMAGE" in modalities:
        parts.append({"inlineData": {"mimeType": "image/png", "data": b64png(prompt)}})
    made = GEMINI_IMAGE_TOKENS if "IMAGE" in modalities else _words(parts[0]["text"])
    candidate = {"content": {"role": "model", "parts": parts}, "finishReason": "STOP", "index": 0}
    usage = {
        "promptTokenCount": words,
        "candidatesTokenCount": made,
        "totalTokenCount": words + made,
    }
    return 200, {"candidates": [candidate], "usageMetadata": usage, "modelVersion": "mock"}


def bedrock_image(model: str, body: Any) -> tuple[int, JSON | str]:
    """InvokeModel of an image model: Amazon's TEXT_IMAGE task (1-5 images, sizes multiples of
    16 from 320 to 4096) or Stability's (one image). A refused prompt is a ValidationException."""
    if not isinstance(body, dict):
        return 400, "Malformed input request: expected a JSON object"
    if "stability." in model:
        prompt = body.get("prompt")
        if not isinstance(prompt, str) or not prompt:
            return 400, "Malformed input request: #: required key [prompt] not found"
        if body.get("aspect_ratio", "1:1") not in STABILITY_RATIOS:
            return (
                400,
                f"Malformed input request: #/aspect_ratio: {body['aspect_ratio']} is not a valid enum value",
            )
        if REFUSED_WORD in prompt:
            return 200, {"seeds": [7], "finish_reasons": ["Filter reason: prompt"], "images": []}
        return 200, {"seeds": [7], "finish_reasons": [None], "images": [b64png(prompt)]}
    if body.get("taskType") != "TEXT_IMAGE":
        return 400, "Malformed input request: taskType must be TEXT_IMAGE"
    prompt = (body.get("textToImageParams") or {}).get("text")
    if not isinstance(prompt, str) or not prompt:
        return 400, "Malformed input request: #/textToImageParams: required key [text] not found"
    config = body.get("imageGenerationConfig") or {}
    count = config.get("numberOfImages", 1)
    if not isinstance(count, int) or not 1 <= count <= 5:
        return (
            400,
            "Malformed input request: #/imageGenerationConfig/numberOfImages: must be 1 to 5",
        )
    for side in ("width", "height"):
        value = config.get(side, 1024)
        if not isinstance(value, int) or value % 16 or not 320 <= value <= 4096:
            return (
                400,
                f"Malformed input request: #/imageGenerationConfig/{side}: {value} is not valid",
            )
    if config.get("quality", "standard") not in ("standard", "premium"):
        return (
            400,
            "Malformed input request: #/imageGenerationConfig/quality is not a valid enum value",
        )
    if REFUSED_WORD in prompt:
        return 400, "This request has been blocked by our content filters."
    return 200, {"images": [b64png(prompt, i) for i in range(count)], "error": None}
