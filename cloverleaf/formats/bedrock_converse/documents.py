"""Converse `document` blocks ⇄ core DocumentPart (bedrock.md "Content blocks").

Converse names a document's type by `format` and requires a `name` made only of alphanumerics,
single spaces, hyphens, parentheses and square brackets, unique within the request. Core keeps
the media type and a free-form filename, so names are sanitised (extension dropped, other
characters become spaces) and numbered when they repeat. Only inline bytes are sent: Converse
cannot fetch URLs, and S3 locations are the caller's account, not the gateway's.
"""

from __future__ import annotations

import re
from typing import Any

from cloverleaf.core.chat import DocumentPart
from cloverleaf.core.errors import bad_request

#: media type → Converse document format
FORMATS = {
    "application/pdf": "pdf",
    "text/csv": "csv",
    "application/msword": "doc",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": "docx",
    "application/vnd.ms-excel": "xls",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": "xlsx",
    "text/html": "html",
    "text/plain": "txt",
    "text/markdown": "md",
}
MEDIA_TYPES = {fmt: media for media, fmt in FORMATS.items()}
_NOT_ALLOWED = re.compile(r"[^A-Za-z0-9\-()\[\] ]+")
_SPACES = re.compile(r" {2,}")
_EXTENSION = re.compile(r"\.[A-Za-z0-9]{1,5}$")


def document_name(filename: str | None, taken: set[str]) -> str:
    """A name Converse accepts, not yet in `taken` (which it is added to)."""
    stem = _EXTENSION.sub("", filename or "")
    base = _SPACES.sub(" ", _NOT_ALLOWED.sub(" ", stem)).strip() or "document"
    name, number = base, 1
    while name in taken:
        number += 1
        name = f"{base} ({number})"
    taken.add(name)
    return name


def document_block(part: DocumentPart, where: str, taken: set[str]) -> dict[str, Any]:
    fmt = FORMATS.get(part.media_type.lower())
    if fmt is None:
        raise bad_request(
            f"{where}: document type {part.media_type!r} is not supported by Bedrock"
            f" ({', '.join(sorted(FORMATS.values()))})",
            param=where,
        )
    if part.data is None:
        raise bad_request(
            f"{where}: Bedrock Converse cannot fetch document URLs; send the document inline",
            param=where,
            code="document_url_not_supported",
        )
    name = document_name(part.filename, taken)
    return {"document": {"format": fmt, "name": name, "source": {"bytes": part.data}}}


def document_to_core(block: dict[str, Any], where: str) -> DocumentPart:
    source = block.get("source")
    data = source.get("bytes") if isinstance(source, dict) else None
    fmt = block.get("format")
    media_type = MEDIA_TYPES.get(fmt) if isinstance(fmt, str) else None
    if not isinstance(data, str) or media_type is None:
        raise bad_request(
            f"{where}.document needs a known format and inline source.bytes (S3 and text"
            " sources are not supported)",
            param=where,
        )
    name = block.get("name")
    return DocumentPart(media_type, data=data, filename=name if isinstance(name, str) else None)
