"""The image-generation operation as a provider offers it (OpenAI's request in, images out).

A provider with no entry in `registry.IMAGE_ADAPTERS` does not generate images, and the gateway
says so with a 400 before calling anything. Translators here are pure: values in, values out.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from cloverleaf.core.errors import GatewayError, bad_request
from cloverleaf.core.usage import Usage

#: OpenAI's own request fields; anything else a client sends is a provider-native extra
OPENAI_FIELDS = frozenset(
    {
        "model",
        "prompt",
        "n",
        "size",
        "quality",
        "response_format",
        "style",
        "user",
        "background",
        "moderation",
        "output_compression",
        "output_format",
        "partial_images",
        "stream",
    }
)
#: values of OpenAI fields that only restate the default, so any wire can honour them
_DEFAULTS: Mapping[str, frozenset[Any]] = {
    "quality": frozenset({"auto", "standard"}),
    "background": frozenset({"auto"}),
    "moderation": frozenset({"auto"}),
    "stream": frozenset({False}),
    "partial_images": frozenset({0}),
}


@dataclass(frozen=True, slots=True)
class ImageRequest:
    """OpenAI's request, read: the fields every wire maps, and the rest as sent (`fields`)."""

    model: str
    prompt: str
    n: int = 1
    size: str | None = None
    #: "url" or "b64_json"; None when the client left it to the model's default
    response_format: str | None = None
    fields: Mapping[str, Any] = field(default_factory=dict)

    def get(self, name: str) -> Any:
        return self.fields.get(name)


@dataclass(frozen=True, slots=True)
class ImageCall:
    """One upstream call: a path under the provider's API prefix, its JSON body and, for wires
    answering with the image's own bytes, the media type asked for."""

    path: str
    body: dict[str, Any]
    accept: str | None = None


@dataclass(frozen=True, slots=True)
class ImageAnswer:
    """One call's 2xx answer."""

    body: bytes
    content_type: str = "application/json"


@dataclass(frozen=True, slots=True)
class GeneratedImage:
    """One image: base64 bytes (with their media type) or a URL the provider hosts."""

    b64: str | None = None
    url: str | None = None
    mime: str = "image/png"
    revised_prompt: str | None = None


@dataclass(frozen=True, slots=True)
class ImageResponse:
    images: tuple[GeneratedImage, ...]
    #: tokens where the provider reports them (Gemini's image models), None otherwise
    usage: Usage | None = None


#: (request, provider's model id) → the calls (several for wires making one image per call)
CallsBuilder = Callable[[ImageRequest, str], list[ImageCall]]
#: (answers in call order, provider's model id) → the images
AnswerDecoder = Callable[[list[ImageAnswer], str], ImageResponse]


@dataclass(frozen=True, slots=True)
class Translated:
    """A wire the OpenAI request is translated to, and whose answers are rendered back."""

    calls: CallsBuilder
    decode: AnswerDecoder


@dataclass(frozen=True, slots=True)
class Forwarded:
    """OpenAI's own wire: the client's body goes to `path(model)` (model rewritten) and the
    provider's answer goes back as it came."""

    path: Callable[[str], str]


ImageAdapter = Translated | Forwarded


def refuse_unknown(request: ImageRequest, wire: str, taken: frozenset[str]) -> None:
    """A 400 naming the first field `wire` cannot honour: OpenAI fields outside `taken` unless
    they only restate the default, and every provider-native extra outside `taken`."""
    for name, value in request.fields.items():
        if name in taken or name in ("model", "prompt", "n", "response_format", "user"):
            continue
        if value is None or value in _DEFAULTS.get(name, frozenset()):
            continue
        raise unsupported(name, wire)


def unsupported(param: str, wire: str, detail: str = "") -> GatewayError:
    message = f"{param} is not supported by {wire} image generation" + (
        f": {detail}" if detail else ""
    )
    return bad_request(message, param=param, code="unsupported_parameter")


def at_most(request: ImageRequest, wire: str, limit: int) -> None:
    if request.n > limit:
        raise unsupported("n", wire, f"at most {limit} images a request")


def no_images(wire: str, why: str) -> GatewayError:
    """A prompt the provider refused to draw (safety filters): OpenAI's content-policy 400."""
    return GatewayError(
        400,
        f"{wire} generated no image: {why}",
        code="content_policy_violation",
        param="prompt",
    )


def sniffed_mime(b64: str) -> str:
    """The media type of base64 image bytes from their magic number (wires that do not say)."""
    if b64.startswith("/9j/"):
        return "image/jpeg"
    if b64.startswith("UklGR"):
        return "image/webp"
    return "image/png"


def unreadable(wire: str, why: str) -> GatewayError:
    return GatewayError(502, f"unreadable {wire} image answer: {why}", type="server_error")
