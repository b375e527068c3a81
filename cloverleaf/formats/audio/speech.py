"""OpenAI's `POST /audio/speech` request: the fields the gateway reads, the rest kept as sent."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from cloverleaf.core.errors import bad_request
from cloverleaf.formats.json_body import parse_json_object
from cloverleaf.formats.openai_chat.request import _fallbacks as fallbacks_of

#: OpenAI's own limit on `input`
MAX_INPUT_CHARS = 4096
#: fields only the gateway reads: never sent upstream
GATEWAY_FIELDS = ("fallbacks",)
FORMATS = frozenset({"mp3", "opus", "aac", "flac", "wav", "pcm"})


@dataclass(frozen=True, slots=True)
class SpeechRequest:
    raw: bytes
    body: dict[str, Any]
    model: str
    input: str
    voice: str
    response_format: str
    speed: float | None
    fallbacks: tuple[str, ...]

    def upstream_body(self, model: str) -> dict[str, Any]:
        """What an OpenAI-wire upstream receives: the client's fields, `model` its own."""
        wire = {k: v for k, v in self.body.items() if k not in GATEWAY_FIELDS}
        wire["model"] = model
        return wire


def parse_speech_request(raw: bytes) -> SpeechRequest:
    """Raise 400 naming the field for anything OpenAI itself would refuse."""
    body = parse_json_object(raw)
    model = body.get("model")
    if not isinstance(model, str) or not model:
        raise bad_request("model is required", param="model")
    text = body.get("input")
    if not isinstance(text, str) or not text:
        raise bad_request("input is required: the text to speak", param="input")
    if len(text) > MAX_INPUT_CHARS:
        raise bad_request(
            f"input is {len(text)} characters; at most {MAX_INPUT_CHARS} are allowed",
            param="input",
        )
    voice = _voice(body.get("voice"))
    response_format = body.get("response_format", "mp3")
    if response_format not in FORMATS:
        raise bad_request(
            f"response_format must be one of {', '.join(sorted(FORMATS))}",
            param="response_format",
        )
    speed = body.get("speed")
    if speed is not None and (isinstance(speed, bool) or not isinstance(speed, int | float)):
        raise bad_request("speed must be a number", param="speed")
    return SpeechRequest(
        raw,
        body,
        model,
        text,
        voice,
        response_format,
        float(speed) if speed is not None else None,
        fallbacks_of(body.get("fallbacks")),
    )


def _voice(value: Any) -> str:
    """A voice name (`alloy`), or a custom voice given as `{"id": ...}`."""
    if isinstance(value, dict):
        value = value.get("id")
    if not isinstance(value, str) or not value:
        raise bad_request("voice is required", param="voice")
    return value
