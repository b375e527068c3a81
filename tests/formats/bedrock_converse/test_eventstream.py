"""AWS event-stream framing: the documented frame byte for byte, botocore reading what we write,
every header type, every split, and the corruptions that must stop a stream with a 502."""

# boto3/botocore ship no type information:
# mypy: disable-error-code="import-untyped"
from __future__ import annotations

import itertools
import struct
import uuid
import zlib

import pytest
from botocore.eventstream import EventStreamBuffer

from cloverleaf.core.errors import GatewayError
from cloverleaf.formats.bedrock_converse.eventstream import (
    BYTE,
    INT,
    SHORT,
    TIMESTAMP,
    EventMessage,
    EventStreamDecoder,
    HeaderInput,
    Typed,
    encode_message,
    event_frame,
    exception_frame,
)

#: bedrock.md: the exact frame for messageStart {"role":"assistant"} (verified with botocore)
DOC_FRAME = bytes.fromhex(
    "00 00 00 76 00 00 00 52 96 d5 fa de 0b 3a 65 76"
    "65 6e 74 2d 74 79 70 65 07 00 0c 6d 65 73 73 61"
    "67 65 53 74 61 72 74 0d 3a 63 6f 6e 74 65 6e 74"
    "2d 74 79 70 65 07 00 10 61 70 70 6c 69 63 61 74"
    "69 6f 6e 2f 6a 73 6f 6e 0d 3a 6d 65 73 73 61 67"
    "65 2d 74 79 70 65 07 00 05 65 76 65 6e 74 7b 22"
    "72 6f 6c 65 22 3a 22 61 73 73 69 73 74 61 6e 74"
    "22 7d 6f a8 c5 99"
)
ALL_TYPES: dict[str, HeaderInput] = {
    "yes": True,
    "no": False,
    "byte": Typed(BYTE, -7),
    "short": Typed(SHORT, 1234),
    "int": Typed(INT, -70000),
    "long": 2**40,
    "bytes": b"\x00\xffraw",
    ":event-type": "contentBlockDelta",
    "when": Typed(TIMESTAMP, 1_736_942_400_000),
    "id": uuid.UUID("12345678-1234-5678-1234-567812345678"),
}
DECODED = {k: (v.value if isinstance(v, Typed) else v) for k, v in ALL_TYPES.items()}


def _decode_all(data: bytes, cuts: list[int]) -> list[EventMessage]:
    decoder = EventStreamDecoder()
    bounds = [0, *cuts, len(data)]
    out: list[EventMessage] = []
    for start, end in itertools.pairwise(bounds):
        out.extend(decoder.feed(data[start:end]))
    decoder.close()
    return out


def test_documented_frame_is_reproduced_byte_for_byte() -> None:
    assert event_frame("messageStart", b'{"role":"assistant"}') == DOC_FRAME
    [message] = _decode_all(DOC_FRAME, [])
    assert message.header(":event-type") == "messageStart"
    assert message.header(":message-type") == "event"
    assert message.payload == b'{"role":"assistant"}'


def test_every_header_type_round_trips_and_botocore_agrees() -> None:
    frame = encode_message(ALL_TYPES, b'{"x":1}')
    [ours] = _decode_all(frame, [])
    assert ours.headers == DECODED and ours.payload == b'{"x":1}'
    buffer = EventStreamBuffer()
    buffer.add_data(frame)
    [theirs] = list(buffer)
    assert theirs.payload == b'{"x":1}'
    assert theirs.headers["short"] == 1234 and theirs.headers["bytes"] == b"\x00\xffraw"
    assert theirs.headers["id"] == uuid.UUID("12345678-1234-5678-1234-567812345678").bytes
    assert theirs.headers[":event-type"] == "contentBlockDelta"
    assert ours.header("short") is None  # not text: `header()` only returns strings


def test_botocore_reads_exception_frames_as_bedrock_sends_them() -> None:
    buffer = EventStreamBuffer()
    buffer.add_data(exception_frame("throttlingException", b'{"message":"slow"}'))
    [message] = list(buffer)
    assert message.headers[":message-type"] == "exception"
    assert message.headers[":exception-type"] == "throttlingException"


def test_frames_decode_the_same_at_every_byte_boundary() -> None:
    stream = DOC_FRAME + encode_message(ALL_TYPES, b"") + event_frame("metadata", b"{}")
    expected = _decode_all(stream, [])
    assert [m.header(":event-type") for m in expected] == [
        "messageStart",
        "contentBlockDelta",
        "metadata",
    ]
    for cut in range(1, len(stream)):
        assert _decode_all(stream, [cut]) == expected, cut
    assert _decode_all(stream, list(range(1, len(stream)))) == expected  # one byte at a time


def _corrupt(frame: bytes, offset: int) -> bytes:
    return frame[:offset] + bytes([frame[offset] ^ 0x01]) + frame[offset + 1 :]


@pytest.mark.parametrize(
    ("offset", "reason"),
    [(0, "prelude CRC"), (9, "prelude CRC"), (30, "message CRC"), (-1, "message CRC")],
)
def test_a_flipped_bit_is_a_bad_gateway(offset: int, reason: str) -> None:
    with pytest.raises(GatewayError) as caught:
        EventStreamDecoder().feed(_corrupt(DOC_FRAME, offset % len(DOC_FRAME)))
    assert caught.value.status == 502 and reason in caught.value.message


def test_frames_before_a_corrupt_one_are_delivered_first() -> None:
    decoder = EventStreamDecoder()
    [message] = decoder.feed(DOC_FRAME + _corrupt(DOC_FRAME, 50))
    assert message.header(":event-type") == "messageStart"
    with pytest.raises(GatewayError, match="message CRC"):
        decoder.feed(b"")
    with pytest.raises(GatewayError):
        decoder.close()


def test_impossible_lengths_and_bad_headers_are_rejected() -> None:
    def framed(total: int, headers_len: int, block: bytes = b"") -> bytes:
        prelude = struct.pack(">II", total, headers_len)
        head = prelude + struct.pack(">I", zlib.crc32(prelude)) + block
        return head + struct.pack(">I", zlib.crc32(head))

    with pytest.raises(GatewayError, match="impossible lengths"):
        EventStreamDecoder().feed(framed(16, 8))
    with pytest.raises(GatewayError, match="exceeds"):
        EventStreamDecoder().feed(framed(16, 200_000))
    unknown_type = b"\x01x\x0a"
    with pytest.raises(GatewayError, match="unknown header value type"):
        EventStreamDecoder().feed(framed(16 + 3, 3, unknown_type))
    overrun = b"\x01x\x07\x00\x09ab"
    with pytest.raises(GatewayError, match="unreadable headers"):
        EventStreamDecoder().feed(framed(16 + len(overrun), len(overrun), overrun))


def test_a_stream_cut_inside_a_frame_fails_on_close() -> None:
    decoder = EventStreamDecoder()
    assert decoder.feed(DOC_FRAME[:40]) == []
    with pytest.raises(GatewayError, match="40 bytes left over") as caught:
        decoder.close()
    assert caught.value.status == 502
    EventStreamDecoder().close()  # an empty, cleanly ended stream is fine
