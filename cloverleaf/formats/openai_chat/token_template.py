"""Reading a stream's token chunks without parsing all of each one.

In a chat stream every token chunk repeats the same bytes (id, model, created, choice index,
`finish_reason: null`) around a different `content` string. Once one chunk has been parsed in
full, the next ones are checked against its bytes: same bytes before and after, and a JSON
string literal between them, means the same structure with new text, so only that literal is
parsed. Anything else (a finish, a tool call, a usage chunk, a different id) is parsed in full.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import orjson

_CONTENT_KEY = b'"content":'


@dataclass(frozen=True, slots=True)
class TokenTemplate:
    """The bytes before and after the text of a learnt token chunk.

    A payload with the same prefix and suffix whose middle starts and ends with a quote, has no
    other quote and does not end in an escaped one, is the learnt chunk with new text: that
    literal alone is parsed (by `strings`, many at once, one array element each).
    """

    prefix: bytes
    suffix: bytes

    @classmethod
    def learn(cls, payload: bytes, content: str) -> TokenTemplate | None:
        """From a payload `token_content` accepted; None when its bytes are not plain enough
        (the key twice, say) to be sure where the text starts and ends."""
        at = payload.find(_CONTENT_KEY)
        if at < 0 or payload.find(_CONTENT_KEY, at + 1) >= 0:
            return None
        start = at + len(_CONTENT_KEY)
        while payload[start : start + 1] in (b" ", b"\t"):
            start += 1
        end = _string_end(payload, start)
        if end < 0 or _string(payload[start:end]) != content:
            return None
        return cls(payload[:start], payload[end:])


def strings(literals: list[bytes]) -> list[str]:
    """JSON string literals → their values, in one parse; a broken literal (its payload was not
    JSON either) is dropped, as a broken payload is."""
    if len(literals) == 1:
        values = [_string(literals[0])]
    else:
        try:
            values = orjson.loads(b"[" + b",".join(literals) + b"]")
        except orjson.JSONDecodeError:
            values = [_string(literal) for literal in literals]
    return [value for value in values if type(value) is str]


def token_content(chunk: dict[str, Any]) -> str | None:
    """The text of a chunk that is nothing but one choice's `delta.content`, else None."""
    if "usage" in chunk or "error" in chunk or "x_groq" in chunk:
        return None
    choices = chunk.get("choices")
    if type(choices) is not list or len(choices) != 1 or type(choices[0]) is not dict:
        return None
    choice = choices[0]
    delta = choice.get("delta")
    if choice.get("finish_reason") is not None or type(delta) is not dict or len(delta) != 1:
        return None
    content = delta.get("content")
    return content if type(content) is str else None


def _string_end(data: bytes, start: int) -> int:
    """Index just past the JSON string literal opening at `start`, or -1."""
    if data[start : start + 1] != b'"':
        return -1
    at = start
    while True:
        at = data.find(b'"', at + 1)
        if at < 0:
            return -1
        backslashes = 0
        while data[at - 1 - backslashes] == 0x5C:  # an odd run escapes the quote
            backslashes += 1
        if backslashes % 2 == 0:
            return at + 1


def _string(literal: bytes) -> str | None:
    if literal[:1] != b'"':
        return None
    try:
        value = orjson.loads(literal)
    except orjson.JSONDecodeError:
        return None
    return value if type(value) is str else None
