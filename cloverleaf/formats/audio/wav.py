"""How long a WAV file plays, read from its RIFF header: what a transcription is billed and
reserved by when the upstream does not say."""

from __future__ import annotations

import struct
from decimal import Decimal

#: a `data` chunk whose size field was never filled in (a stream written before its length
#: was known): the audio runs to the end of the file
_UNKNOWN_SIZE = 0xFFFFFFFF
#: a reservation bound for audio whose length cannot be read: 1,000 bytes a second is 8 kbit/s,
#: below any codec commonly used for speech (Opus voice and MP3 both go lower only rarely), so
#: the bound over-reserves and the answer settles to the real seconds
WORST_CASE_BYTES_PER_SECOND = 1000


def wav_duration(data: bytes) -> Decimal | None:
    """Seconds of audio in a RIFF/WAVE file, or None when `data` is not one (or is damaged)."""
    if len(data) < 12 or data[:4] != b"RIFF" or data[8:12] != b"WAVE":
        return None
    offset = 12
    byte_rate = 0
    while offset + 8 <= len(data):
        chunk, size = struct.unpack_from("<4sI", data, offset)
        body = offset + 8
        if chunk == b"fmt ":
            if size < 16 or body + 16 > len(data):
                return None
            byte_rate = struct.unpack_from("<I", data, body + 8)[0]
        elif chunk == b"data":
            if byte_rate <= 0:
                return None
            available = len(data) - body
            length = available if size == _UNKNOWN_SIZE else min(size, available)
            return (Decimal(length) / Decimal(byte_rate)).quantize(Decimal("0.001"))
        offset = body + size + (size & 1)  # chunks are padded to an even length
    return None


def worst_case_seconds(data: bytes) -> Decimal:
    """The longest `data` can play: a WAV's own length, else the size at the lowest bitrate."""
    duration = wav_duration(data)
    if duration is not None:
        return duration
    return Decimal(max(1, -(-len(data) // WORST_CASE_BYTES_PER_SECOND)))
