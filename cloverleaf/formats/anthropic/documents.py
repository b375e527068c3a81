"""Anthropic `document` blocks ⇄ core DocumentPart (anthropic.md "Content blocks").

Anthropic reads PDFs (base64 or URL source) and plain text (a `text` source holding the text
itself). Core keeps document bytes as base64, so a text source is encoded on the way in and
decoded on the way out. The block's `title` is the core filename.
"""

from __future__ import annotations

import base64
import binascii
from typing import Any

from cloverleaf.core.chat import DocumentPart
from cloverleaf.core.errors import bad_request

PDF = "application/pdf"
TEXT = "text/plain"


def document_to_core(block: dict[str, Any], where: str) -> DocumentPart:
    source = block.get("source")
    source = source if isinstance(source, dict) else {}
    title = block.get("title") if isinstance(block.get("title"), str) else None
    kind, data = source.get("type"), source.get("data")
    if kind == "base64" and isinstance(data, str):
        media_type = source.get("media_type")
        return DocumentPart(media_type if isinstance(media_type, str) else PDF, data, None, title)
    if kind == "text" and isinstance(data, str):
        encoded = base64.b64encode(data.encode()).decode()
        return DocumentPart(TEXT, data=encoded, filename=title)
    if kind == "url" and isinstance(source.get("url"), str):
        return DocumentPart(PDF, url=source["url"], filename=title)
    raise bad_request(
        f"{where}.source: expected a base64, text or url document source",
        param=f"{where}.source",
    )


def document_block(part: DocumentPart, where: str) -> dict[str, Any]:
    """A 400 for what Anthropic cannot read: other file types, or text that is not UTF-8."""
    block: dict[str, Any] = {"type": "document"}
    if part.data is None:
        if not (part.url or "").startswith(("https://", "http://")):
            raise bad_request(f"{where}: document URLs must be http(s)", param=where)
        block["source"] = {"type": "url", "url": part.url}
    elif part.media_type == PDF:
        block["source"] = {"type": "base64", "media_type": PDF, "data": part.data}
    elif part.media_type == TEXT:
        block["source"] = {"type": "text", "media_type": TEXT, "data": _text(part.data, where)}
    else:
        raise bad_request(
            f"{where}: Anthropic reads only PDF or plain-text documents, not {part.media_type}",
            param=where,
        )
    if part.filename:
        block["title"] = part.filename
    return block


def _text(data: str, where: str) -> str:
    try:
        return base64.b64decode(data, validate=True).decode()
    except (binascii.Error, UnicodeDecodeError):
        raise bad_request(f"{where}: text document is not base64 UTF-8", param=where) from None
