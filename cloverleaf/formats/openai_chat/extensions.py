"""Fields outside OpenAI's own schema that OpenAI-shaped wires use for what core carries.

- A tool call's thought signature (Gemini's `thoughtSignature`) travels as
  `extra_content: {"google": {"thought_signature": ...}}` on the call, exactly as Gemini's
  OpenAI-compatible endpoint exposes it and expects it back in assistant history.
"""

from __future__ import annotations

from typing import Any

from cloverleaf.core.chat import ToolCall


def thought_signature(call: dict[str, Any]) -> str | None:
    """Gemini's OpenAI-compatible endpoint carries a call's `thoughtSignature` as
    `extra_content.google.thought_signature`; clients send it back the same way."""
    extra = call.get("extra_content")
    google = extra.get("google") if isinstance(extra, dict) else None
    signature = google.get("thought_signature") if isinstance(google, dict) else None
    return signature if isinstance(signature, str) and signature else None


def signature_extra(signature: str) -> dict[str, Any]:
    return {"google": {"thought_signature": signature}}


def tool_call_wire(call: ToolCall) -> dict[str, Any]:
    """One `tool_calls[]` entry, with the signature when the call has one."""
    wire: dict[str, Any] = {
        "id": call.id,
        "type": "function",
        "function": {"name": call.name, "arguments": call.arguments},
    }
    if call.signature:
        wire["extra_content"] = signature_extra(call.signature)
    return wire
