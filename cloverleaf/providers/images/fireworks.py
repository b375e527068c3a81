"""Image generation on Fireworks: the FLUX workflow endpoint
`/workflows/accounts/fireworks/models/{model}/text_to_image`, which answers one image's own bytes
per call (the media type asked for in `Accept`). Fireworks has no OpenAI-shaped images endpoint;
its other image APIs (the async Kontext workflows) are not spoken here."""

from __future__ import annotations

import base64
from typing import Any

from cloverleaf.providers.images.sizes import aspect_ratio
from cloverleaf.providers.images.spec import (
    GeneratedImage,
    ImageAnswer,
    ImageCall,
    ImageRequest,
    ImageResponse,
    Translated,
    refuse_unknown,
    unreadable,
    unsupported,
)

_ACCOUNT = "accounts/fireworks/models/"
_RATIOS = ("1:1", "21:9", "16:9", "3:2", "5:4", "4:5", "2:3", "9:16", "9:21")
_ACCEPT = {"png": "image/png", "jpeg": "image/jpeg"}
_EXTRAS = ("seed", "guidance_scale", "num_inference_steps")


def _calls(request: ImageRequest, model: str) -> list[ImageCall]:
    refuse_unknown(request, "fireworks", frozenset({"size", "output_format", *_EXTRAS}))
    output_format = request.get("output_format") or "png"
    if output_format not in _ACCEPT:
        raise unsupported("output_format", "fireworks", "png or jpeg only")
    body: dict[str, Any] = {"prompt": request.prompt}
    ratio = aspect_ratio(request.size, _RATIOS)
    if ratio is not None:
        body["aspect_ratio"] = ratio
    for name in _EXTRAS:
        if request.get(name) is not None:
            body[name] = request.get(name)
    full = model if model.startswith("accounts/") else _ACCOUNT + model
    call = ImageCall(f"/workflows/{full}/text_to_image", body, accept=_ACCEPT[output_format])
    return [call] * request.n  # one image a call


def _decode(answers: list[ImageAnswer], model: str) -> ImageResponse:
    images = []
    for answer in answers:
        mime = answer.content_type.split(";")[0].strip()
        if not mime.startswith("image/") or not answer.body:
            raise unreadable("fireworks", f"a {mime or 'untyped'} answer, not an image")
        images.append(GeneratedImage(b64=base64.b64encode(answer.body).decode(), mime=mime))
    return ImageResponse(tuple(images))


FIREWORKS = Translated(_calls, _decode)
