"""Tool-use ids that carry a thought signature for Anthropic clients.

Anthropic has no field for a signature on a tool call (Gemini's `thoughtSignature`), but a
client echoes a `tool_use` id unchanged: in later assistant turns and in `tool_result`. So a
call that has a signature is shown with the id `<id>__tsig_<signature as unpadded URL-safe
base64>`; every id an Anthropic client sends is split again, so core (and the next upstream)
sees the original id and the signature. The encoded id keeps Anthropic's id alphabet
(`[A-Za-z0-9_-]`).
"""

from __future__ import annotations

import base64
import binascii

MARKER = "__tsig_"


def encode_call_id(call_id: str, signature: str | None) -> str:
    if not signature:
        return call_id
    packed = base64.urlsafe_b64encode(signature.encode()).decode().rstrip("=")
    return f"{call_id}{MARKER}{packed}"


def decode_call_id(wire_id: str) -> tuple[str, str | None]:
    """(original id, signature or None); an id without a well-formed suffix is kept whole."""
    call_id, marker, packed = wire_id.partition(MARKER)
    if not marker or not packed:
        return wire_id, None
    try:
        raw = base64.urlsafe_b64decode(packed + "=" * (-len(packed) % 4))
        return call_id, raw.decode()
    except (binascii.Error, UnicodeDecodeError, ValueError):
        return wire_id, None
