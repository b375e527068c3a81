"""Confine a pass-through path so the upstream URL is always `<provider base>/v1/<path>`.

The client's path is untrusted: `..` segments, encoded slashes or dots (once or twice), a
backslash, an absolute URL (`//host`, `http://host`) or a control character could otherwise
move the request to another path or host. Rather than normalising such a path into something
the client did not mean, it is refused: OpenAI's paths never need any of these.
"""

from __future__ import annotations

import re
from urllib.parse import unquote_to_bytes

from cloverleaf.core.errors import GatewayError

PREFIX = "/v1/"
#: RFC 3986 path characters without `%` (pchar: unreserved, sub-delims, `:` and `@`)
_SEGMENT = re.compile(r"[A-Za-z0-9\-._~!$&'()*+,;=:@]+")
#: a query string passes as the client sent it, minus what could end or split the request line
_QUERY_FORBIDDEN = re.compile(rb"[\x00-\x20\x7f#\\]")
_MAX_PATH = 2048
_MAX_QUERY = 8192


def confined_path(raw_path: bytes) -> str:
    """The part after `/v1/`, checked segment by segment; a 400 naming the problem otherwise.

    `raw_path` is the path as it came on the wire (ASGI `raw_path`), still percent-encoded:
    decoded once, any `%` left over is double encoding and refused.
    """
    if len(raw_path) > _MAX_PATH:
        raise _refused("the path is too long")
    if not raw_path.startswith(PREFIX.encode()):
        raise _refused("the path must start with /v1/")
    encoded = raw_path[len(PREFIX) :]
    if b"\\" in encoded or b"%5c" in encoded.lower() or b"%2f" in encoded.lower():
        raise _refused("the path may not contain a backslash or an encoded slash")
    try:
        decoded = unquote_to_bytes(encoded).decode("utf-8")
    except UnicodeDecodeError:
        raise _refused("the path is not valid UTF-8") from None
    if any(ord(c) < 0x20 or ord(c) == 0x7F for c in decoded):
        raise _refused("the path may not contain control characters")
    if "%" in decoded:
        raise _refused("the path may not be percent-encoded twice")
    segments = decoded.split("/")
    for segment in segments:
        if segment in ("", ".", ".."):
            raise _refused("the path may not contain empty, '.' or '..' segments")
        if not _SEGMENT.fullmatch(segment):
            raise _refused(f"the path segment {segment[:64]!r} has characters a path may not")
    if segments[0].endswith(":"):
        raise _refused("the path may not be an absolute URL")
    return decoded


def confined_query(query: bytes) -> str:
    """The query string as sent (still encoded), or a 400 for bytes that could split it."""
    if len(query) > _MAX_QUERY:
        raise _refused("the query string is too long")
    if _QUERY_FORBIDDEN.search(query) or not query.isascii():
        raise _refused("the query string may not contain spaces, control characters or '#'")
    return query.decode("ascii")


def _refused(reason: str) -> GatewayError:
    return GatewayError(400, f"invalid pass-through path: {reason}", code="invalid_path")
