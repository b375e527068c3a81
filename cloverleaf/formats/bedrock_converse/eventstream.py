"""AWS binary event-stream framing (`application/vnd.amazon.eventstream`), both directions.

ConverseStream answers in length-prefixed, CRC-checked binary frames rather than SSE; this module
turns bytes split anywhere into whole messages and back. Layout (bedrock.md): total length,
headers length, prelude CRC32, headers, payload, message CRC32 — integers big-endian.
"""

from __future__ import annotations

import struct
import uuid
import zlib
from collections.abc import Mapping
from dataclasses import dataclass

from cloverleaf.core.errors import GatewayError

CONTENT_TYPE = "application/vnd.amazon.eventstream"

_PRELUDE = struct.Struct(">III")
_PRELUDE_LEN = 12
_CRC_LEN = 4
#: botocore's limits; a frame claiming more is corrupt, not merely large
MAX_HEADERS_LEN = 128 * 1024
MAX_PAYLOAD_LEN = 24 * 1024 * 1024

# header value types
BOOL_TRUE, BOOL_FALSE, BYTE, SHORT, INT, LONG, BYTES, STRING, TIMESTAMP, UUID = range(10)
_FIXED = {BYTE: struct.Struct(">b"), SHORT: struct.Struct(">h"), INT: struct.Struct(">i")}
_FIXED |= {LONG: struct.Struct(">q"), TIMESTAMP: struct.Struct(">q")}
_U16 = struct.Struct(">H")


@dataclass(frozen=True, slots=True)
class Typed:
    """A header value with an explicit wire type: BYTE, SHORT, INT, LONG or TIMESTAMP (ms)."""

    type: int
    value: int


#: decoded header values: bool (0/1), int (2-5, 8 as epoch ms), bytes (6), str (7), UUID (9)
HeaderValue = str | bytes | bool | int | uuid.UUID
HeaderInput = HeaderValue | Typed


@dataclass(frozen=True, slots=True)
class EventMessage:
    headers: dict[str, HeaderValue]
    payload: bytes

    def header(self, name: str) -> str | None:
        """A string header (`:event-type`, `:message-type`, ...), None when absent or not text."""
        value = self.headers.get(name)
        return value if isinstance(value, str) else None


def corrupt(reason: str) -> GatewayError:
    """A broken frame means the upstream's bytes cannot be trusted: a bad gateway, not a 4xx."""
    return GatewayError(502, f"corrupt AWS event-stream frame: {reason}", type="server_error")


class EventStreamDecoder:
    """Bytes in any split → whole messages; verifies both CRCs before trusting a frame."""

    __slots__ = ("_buffer", "_error")

    def __init__(self) -> None:
        self._buffer = bytearray()
        self._error: GatewayError | None = None

    def feed(self, chunk: bytes) -> list[EventMessage]:
        """Whole messages completed by `chunk`. A corrupt frame raises; messages before it in
        the same chunk are returned first and the error is raised on the next call."""
        if self._error is not None:
            raise self._error
        self._buffer += chunk
        messages: list[EventMessage] = []
        try:
            offset = self._frames(messages)
        except GatewayError as error:
            if not messages:
                raise
            self._error = error
            return messages
        del self._buffer[:offset]
        return messages

    def _frames(self, messages: list[EventMessage]) -> int:
        """Append every whole frame in the buffer; return how many bytes they used."""
        buffer = self._buffer
        offset = 0
        while len(buffer) - offset >= _PRELUDE_LEN:
            total, headers_len, prelude_crc = _PRELUDE.unpack_from(buffer, offset)
            if zlib.crc32(buffer[offset : offset + 8]) != prelude_crc:
                raise corrupt("prelude CRC mismatch")
            if headers_len > MAX_HEADERS_LEN:
                raise corrupt(f"headers length {headers_len} exceeds {MAX_HEADERS_LEN}")
            payload_len = total - headers_len - _PRELUDE_LEN - _CRC_LEN
            if payload_len < 0 or payload_len > MAX_PAYLOAD_LEN:
                raise corrupt(f"impossible lengths (total {total}, headers {headers_len})")
            if len(buffer) - offset < total:
                break
            messages.append(_message(bytes(buffer[offset : offset + total]), headers_len))
            offset += total
        return offset

    def close(self) -> None:
        """Raise if the stream ended inside a frame: the last message was cut off."""
        if self._error is not None:
            raise self._error
        if self._buffer:
            left = len(self._buffer)
            self._buffer.clear()
            raise corrupt(f"stream ended inside a frame ({left} bytes left over)")


def _message(frame: bytes, headers_len: int) -> EventMessage:
    (message_crc,) = struct.unpack_from(">I", frame, len(frame) - _CRC_LEN)
    if zlib.crc32(frame[: len(frame) - _CRC_LEN]) != message_crc:
        raise corrupt("message CRC mismatch")
    headers_end = _PRELUDE_LEN + headers_len
    headers = _headers(frame[_PRELUDE_LEN:headers_end])
    return EventMessage(headers, frame[headers_end : len(frame) - _CRC_LEN])


def _headers(data: bytes) -> dict[str, HeaderValue]:
    headers: dict[str, HeaderValue] = {}
    offset = 0
    try:
        while offset < len(data):
            name_len = data[offset]
            name = data[offset + 1 : offset + 1 + name_len].decode("utf-8")
            offset += 1 + name_len
            headers[name], offset = _value(data, offset)
    except (IndexError, struct.error, UnicodeDecodeError, ValueError) as exc:
        raise corrupt(f"unreadable headers ({exc})") from None
    return headers


def _value(data: bytes, offset: int) -> tuple[HeaderValue, int]:
    """Read one typed value; every type is understood so unknown headers can be skipped."""
    kind = data[offset]
    offset += 1
    if kind in (BOOL_TRUE, BOOL_FALSE):
        return kind == BOOL_TRUE, offset
    fixed = _FIXED.get(kind)
    if fixed is not None:
        (number,) = fixed.unpack_from(data, offset)
        return int(number), offset + fixed.size
    if kind in (BYTES, STRING):
        (length,) = _U16.unpack_from(data, offset)
        raw = data[offset + 2 : offset + 2 + length]
        if len(raw) != length:
            raise ValueError("header value runs past the headers block")
        return (raw.decode("utf-8") if kind == STRING else raw), offset + 2 + length
    if kind == UUID:
        raw = data[offset : offset + 16]
        return uuid.UUID(bytes=raw), offset + 16
    raise ValueError(f"unknown header value type {kind}")


def encode_message(headers: Mapping[str, HeaderInput], payload: bytes) -> bytes:
    """One frame, CRCs included; the mock upstream and the client-side encoder write these."""
    block = b"".join(_encode_header(name, value) for name, value in headers.items())
    total = _PRELUDE_LEN + len(block) + len(payload) + _CRC_LEN
    prelude = struct.pack(">II", total, len(block))
    head = prelude + struct.pack(">I", zlib.crc32(prelude)) + block + payload
    return head + struct.pack(">I", zlib.crc32(head))


def _encode_header(name: str, value: HeaderInput) -> bytes:
    raw_name = name.encode("utf-8")
    out = bytes([len(raw_name)]) + raw_name
    if isinstance(value, bool):
        return out + bytes([BOOL_TRUE if value else BOOL_FALSE])
    if isinstance(value, Typed):
        return out + bytes([value.type]) + _FIXED[value.type].pack(value.value)
    if isinstance(value, int):
        return out + bytes([LONG]) + _FIXED[LONG].pack(value)
    if isinstance(value, uuid.UUID):
        return out + bytes([UUID]) + value.bytes
    data, kind = (value.encode("utf-8"), STRING) if isinstance(value, str) else (value, BYTES)
    return out + bytes([kind]) + _U16.pack(len(data)) + data


def event_frame(event_type: str, payload: bytes) -> bytes:
    """A normal `event` frame as Bedrock sends it (JSON payload of one union member)."""
    headers = {
        ":event-type": event_type,
        ":content-type": "application/json",
        ":message-type": "event",
    }
    return encode_message(headers, payload)


def exception_frame(exception_type: str, payload: bytes) -> bytes:
    """An in-band error after the 200 response: `:message-type` exception, camelCase name."""
    headers = {
        ":exception-type": exception_type,
        ":content-type": "application/json",
        ":message-type": "exception",
    }
    return encode_message(headers, payload)
