"""Mocks of two vendors' image APIs, each as its documentation gives it.

Together: `POST /v1/images/generations`, OpenAI-like but with `width`/`height` instead of `size`
and `response_format` `url` (its default) or `base64`; data items carry `index` and `url` or
`b64_json`. Fireworks: `POST /inference/v1/workflows/accounts/fireworks/models/{m}/text_to_image`
answering one image's own bytes in the media type `Accept` names (JPEG by default). Both want a
bearer key and answer OpenAI-shaped errors.
"""

from __future__ import annotations

import re
from typing import Any

import orjson

from tests.mocks.images_wire import REFUSED_WORD, b64png, image_url, png
from tests.mocks.scripted import RecordedRequest, ScriptedUpstream, Served
from tests.mocks.server_thread import Receive, Send, ThreadedServer

JSON = dict[str, Any]
_FIREWORKS = re.compile(r"/inference/v1/workflows/accounts/fireworks/models/([^/]+)/text_to_image")
#: a JPEG's first bytes, enough for a client to see it asked for nothing else
_JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + b"\x00" * 8 + b"\xff\xd9"


def _error(status: int, message: str, param: str | None = None) -> tuple[int, bytes, bytes]:
    body = {"error": {"message": message, "type": "invalid_request_error", "param": param}}
    return status, b"application/json", orjson.dumps(body)


def together_images(body: Any) -> tuple[int, bytes, bytes]:
    if not isinstance(body, dict) or not isinstance(body.get("model"), str):
        return _error(400, "model is required", "model")
    prompt = body.get("prompt")
    if not isinstance(prompt, str) or not prompt:
        return _error(400, "prompt is required", "prompt")
    for unknown in ("size", "quality", "style"):
        if unknown in body:
            return _error(400, f"Unrecognized request argument supplied: {unknown}", unknown)
    response_format = body.get("response_format", "url")
    if response_format not in ("url", "base64"):
        return _error(400, f"response_format must be url or base64, not {response_format!r}")
    for side in ("width", "height"):
        if not isinstance(body.get(side, 1024), int):
            return _error(400, f"{side} must be an integer", side)
    data = []
    for index in range(body.get("n") or 1):
        item: JSON = {"index": index, "type": "image"}
        if response_format == "base64":
            item["b64_json"] = b64png(prompt, index)
        else:
            item["url"] = image_url(prompt, index)
        data.append(item)
    answer = {"id": "tg-img-1", "model": body["model"], "object": "list", "data": data}
    return 200, b"application/json", orjson.dumps(answer)


def fireworks_image(request: RecordedRequest) -> tuple[int, bytes, bytes]:
    body = request.json
    if not isinstance(body, dict) or not isinstance(body.get("prompt"), str):
        return _error(400, "prompt is required", "prompt")
    if REFUSED_WORD in body["prompt"]:
        return _error(400, "Prompt flagged by the content filter", "prompt")
    accept = request.headers.get("accept", "image/jpeg")
    if accept == "image/png":
        return 200, b"image/png", png(body["prompt"])
    return 200, b"image/jpeg", _JPEG


class MockImageVendor(Served, ScriptedUpstream[None]):
    """Together's and Fireworks' image endpoints on one 127.0.0.1 server (each vendor's
    configured base URL selects its paths)."""

    def __init__(self, api_key: str = "vendor-key") -> None:
        super().__init__()
        self.api_key = api_key
        self.server = ThreadedServer(self)

    async def _route(self, request: RecordedRequest, receive: Receive, send: Send) -> None:
        if request.headers.get("authorization") != f"Bearer {self.api_key}":
            status, kind, body = _error(401, "Invalid API key provided")
        elif request.method == "POST" and request.path == "/v1/images/generations":
            status, kind, body = together_images(request.json)
        elif request.method == "POST" and _FIREWORKS.fullmatch(request.path):
            status, kind, body = fireworks_image(request)
        else:
            status, kind, body = _error(404, f"no route {request.method} {request.path}")
        headers = [(b"content-type", kind), (b"content-length", b"%d" % len(body))]
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await send({"type": "http.response.body", "body": body})
