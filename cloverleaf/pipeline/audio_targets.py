"""Which audio wire a target speaks, and where its audio operations live.

OpenAI and the OpenAI-compatible family (Groq, ...) take OpenAI's audio requests at
`/audio/{speech,transcriptions}` under their API prefix, Azure at its deployment's path, and
ElevenLabs gets its own wire (providers/elevenlabs_audio.py). Keyed like the chat adapters
(the spec's adapter, else its dialect), so custom providers inherit their base's wire.
"""

from __future__ import annotations

from enum import Enum
from urllib.parse import quote

from cloverleaf.core.errors import bad_request
from cloverleaf.providers.elevenlabs import NAME as ELEVENLABS
from cloverleaf.routing.keys import UpstreamKey
from cloverleaf.routing.table import Target


class AudioWire(Enum):
    OPENAI = "openai_chat"
    AZURE = "azure"
    ELEVENLABS = ELEVENLABS


def wire_of(target: Target) -> AudioWire | None:
    spec = target.route.spec
    try:
        wire = AudioWire(spec.adapter or spec.dialect)
    except ValueError:
        return None
    if wire is not AudioWire.ELEVENLABS and not target.adapter.byte_passthrough:
        return None
    return wire


def checked_wire(target: Target, request_type: str) -> AudioWire:
    """The target's wire, or a 400 before any call when it has none or may not serve this."""
    route = target.route
    wire = wire_of(target)
    if wire is None:
        raise bad_request(
            f"provider {route.name} does not offer {request_type} "
            "(OpenAI, Azure, the OpenAI-compatible providers and ElevenLabs do)",
            param="model",
            code=f"{request_type}_not_supported",
        )
    if route.allowed_requests is not None and request_type not in route.allowed_requests:
        raise bad_request(
            f"provider {route.name} does not allow {request_type} requests "
            "(custom_provider_config.allowed_requests)",
            code="request_type_not_allowed",
        )
    return wire


def openai_audio_url(
    target: Target, key: UpstreamKey, model: str, operation: str, request_type: str
) -> str:
    """`operation` (`/audio/speech`) on an OpenAI-wire target: a custom provider's path
    override wins, Azure addresses the deployment `model` names."""
    route = target.route
    overridden = route.overridden_url(key, request_type)
    if overridden is not None:
        return overridden
    if wire_of(target) is AudioWire.AZURE:
        return route.url(key, f"/deployments/{quote(model, safe='')}{operation}")
    return route.url(key, operation)
