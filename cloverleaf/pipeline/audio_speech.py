"""Text to speech (`/v1/audio/speech`) through the gateway.

OpenAI-wire targets get the client's JSON with their own model; ElevenLabs gets its own call.
Either way the audio goes back to the client as it arrives, with the upstream's content type,
in constant memory. Billed by the characters spoken (the request's `input`), which is also the
worst case reserved.
"""

from __future__ import annotations

import math
from collections.abc import AsyncGenerator

import orjson

from cloverleaf.core.usage import Usage
from cloverleaf.formats.audio.speech import GATEWAY_FIELDS, SpeechRequest
from cloverleaf.pipeline.audio_targets import AudioWire, checked_wire, openai_audio_url
from cloverleaf.pipeline.count_tokens import CHARS_PER_TOKEN
from cloverleaf.pipeline.gateway import Gateway
from cloverleaf.pipeline.result import ChatResult, record_of
from cloverleaf.pipeline.targets import run_targeted
from cloverleaf.providers.auth import auth_headers
from cloverleaf.providers.elevenlabs_audio import speech_call
from cloverleaf.routing.attempts import Opened, open_upstream
from cloverleaf.routing.keys import UpstreamKey
from cloverleaf.routing.table import Target
from cloverleaf.transport.base import TransportError, UpstreamRequest

#: Bifrost's request type of this operation (prices, `allowed_requests`, path overrides)
REQUEST_TYPE = "speech"
_OPERATION = "/audio/speech"
_DEFAULT_TYPE = "application/octet-stream"


async def run_speech(gateway: Gateway, request: SpeechRequest, request_id: str) -> ChatResult:
    def check(target: Target) -> None:
        if checked_wire(target, REQUEST_TYPE) is AudioWire.ELEVENLABS:
            speech_call(request, target.model)  # refuse what ElevenLabs cannot do, before a call

    async def run(targets: list[Target]) -> ChatResult:
        opened = await open_upstream(
            targets, lambda t, k: _build(request, t, k), gateway.transport, gateway.rng
        )
        content_type = opened.response.header("content-type") or _DEFAULT_TYPE
        relay = _relay(gateway, opened, Usage(characters=len(request.input)), request_id)
        return ChatResult(opened.response.status, content_type, opened.remote_ms, stream=relay)

    tokens = math.ceil(len(request.input) / CHARS_PER_TOKEN)
    return await run_targeted(
        gateway,
        request.model,
        request.fallbacks,
        check=check,
        estimate=lambda: (tokens, 0),
        run=run,
        request_type=REQUEST_TYPE,
        units=lambda: Usage(characters=len(request.input)),
    )


def _build(request: SpeechRequest, target: Target, key: UpstreamKey) -> UpstreamRequest:
    route = target.route
    model = key.upstream_model(target.model)
    if checked_wire(target, REQUEST_TYPE) is AudioWire.ELEVENLABS:
        path, body = speech_call(request, model)
        url = route.url(key, path)
    else:
        url = openai_audio_url(target, key, model, _OPERATION, REQUEST_TYPE)
        unchanged = request.body.get("model") == model and not any(
            name in request.body for name in GATEWAY_FIELDS
        )
        body = request.raw if unchanged else orjson.dumps(request.upstream_body(model))
    headers = [("content-type", "application/json"), *route.extra_headers]
    headers += auth_headers(
        route.spec, key.credential, method="POST", url=url, headers=headers, body=body
    )
    return UpstreamRequest("POST", url, tuple(headers), body, route.profile, stream=True)


async def _relay(
    gateway: Gateway, opened: Opened, usage: Usage, request_id: str
) -> AsyncGenerator[bytes, None]:
    """Audio chunks as they arrive. Audio has no in-band error: an upstream that fails
    mid-way ends the body early, and the record says 502."""
    status = 200
    try:
        chunk = opened.first
        while chunk is not None:
            if chunk:
                yield chunk
            chunk = await opened.response.next_chunk()
    except TransportError:
        status = 502
    finally:
        await opened.aclose()
        gateway.record(
            record_of(opened, request_id, True, usage, status, request_type=REQUEST_TYPE)
        )
