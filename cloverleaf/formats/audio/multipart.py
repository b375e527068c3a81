"""`multipart/form-data` bodies in both directions: parse a client's form, write an upstream's.

Parsing uses python-multipart's streaming parser over the body the route already read whole
(bounded by the gateway's maximum body size), keeping every part in memory: the parts are
forwarded, never stored. Writing always uses a fresh boundary the caller picks (checked against
every part), so an upstream never depends on how a client framed its form; part bytes are
written unchanged.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field, replace

from python_multipart.exceptions import FormParserError
from python_multipart.multipart import MultipartParser, MultipartState, parse_options_header

from cloverleaf.core.errors import bad_request

#: headers a part may carry (Content-Disposition, Content-Type, a few more from odd clients)
_MAX_PART_HEADERS = 8


@dataclass(frozen=True, slots=True)
class Part:
    """One form field; `filename` is set for file parts (possibly empty)."""

    name: str
    data: bytes
    filename: str | None = None
    content_type: str | None = None

    @property
    def text(self) -> str:
        return self.data.decode("utf-8", "replace")


@dataclass(frozen=True, slots=True)
class Form:
    parts: tuple[Part, ...] = field(default_factory=tuple)

    def get(self, name: str) -> Part | None:
        """The first part of that name."""
        return next((p for p in self.parts if p.name == name), None)

    def all(self, name: str) -> list[Part]:
        return [p for p in self.parts if p.name == name]

    def value(self, name: str) -> str | None:
        part = self.get(name)
        return part.text if part is not None else None

    def without(self, names: Iterable[str]) -> Form:
        dropped = frozenset(names)
        return Form(tuple(p for p in self.parts if p.name not in dropped))

    def with_value(self, name: str, value: str) -> Form:
        """`name` set to `value` where it stood (appended when absent); its repeats dropped."""
        parts: list[Part] = []
        placed = False
        for part in self.parts:
            if part.name != name:
                parts.append(part)
            elif not placed:
                parts.append(replace(part, data=value.encode(), filename=None, content_type=None))
                placed = True
        if not placed:
            parts.append(Part(name, value.encode()))
        return Form(tuple(parts))


def boundary_of(content_type: str | None) -> bytes:
    """The boundary of a `multipart/form-data` content type; 400 for any other body."""
    kind, options = parse_options_header(content_type or "")
    if kind != b"multipart/form-data":
        raise bad_request(
            "the body must be multipart/form-data (with a boundary parameter)",
            code="invalid_multipart",
        )
    boundary = options.get(b"boundary")
    if not boundary:
        raise bad_request("the multipart Content-Type has no boundary", code="invalid_multipart")
    return boundary


class _Collector:
    """The parser's callbacks: headers and data of the part being read, parts read so far."""

    def __init__(self) -> None:
        self.parts: list[Part] = []
        self._headers: dict[bytes, bytes] = {}
        self._field = bytearray()
        self._value = bytearray()
        self._data = bytearray()

    def callbacks(self) -> dict[str, object]:
        return {
            "on_part_begin": self._begin,
            "on_header_field": lambda d, s, e: self._field.extend(d[s:e]),
            "on_header_value": lambda d, s, e: self._value.extend(d[s:e]),
            "on_header_end": self._header_end,
            "on_part_data": lambda d, s, e: self._data.extend(d[s:e]),
            "on_part_end": self._end,
        }

    def _begin(self) -> None:
        self._headers = {}
        self._data = bytearray()

    def _header_end(self) -> None:
        self._headers[bytes(self._field).strip().lower()] = bytes(self._value).strip()
        self._field, self._value = bytearray(), bytearray()

    def _end(self) -> None:
        disposition, options = parse_options_header(self._headers.get(b"content-disposition"))
        name = options.get(b"name")
        if disposition != b"form-data" or name is None:
            raise bad_request(
                "a multipart part has no Content-Disposition: form-data; name=...",
                code="invalid_multipart",
            )
        filename = options.get(b"filename")
        kind = self._headers.get(b"content-type")
        self.parts.append(
            Part(
                name.decode("utf-8", "replace"),
                bytes(self._data),
                filename.decode("utf-8", "replace") if filename is not None else None,
                kind.decode("latin-1") if kind else None,
            )
        )


def parse_form(body: bytes, content_type: str | None) -> Form:
    """A whole multipart body → its parts; 400 (`invalid_multipart`) when it is malformed or
    ends before its closing boundary."""
    boundary = boundary_of(content_type)
    collector = _Collector()
    try:
        parser = MultipartParser(
            boundary,
            collector.callbacks(),  # type: ignore[arg-type]  # a TypedDict of callables
            max_header_count=_MAX_PART_HEADERS,
        )
        parser.write(body)
        parser.finalize()
    except FormParserError as exc:
        raise bad_request(f"malformed multipart body: {exc}", code="invalid_multipart") from None
    if parser.state is not MultipartState.END:
        raise bad_request(
            "malformed multipart body: it ends before its closing boundary",
            code="invalid_multipart",
        )
    return Form(tuple(collector.parts))


def _quoted(value: str) -> str:
    return value.replace("\\", "\\\\").replace('"', '\\"').replace("\r", "").replace("\n", "")


def encode_form(form: Form, boundary: str) -> tuple[bytes, str]:
    """The form as a body and its Content-Type. The caller makes `boundary` up (random); a
    boundary that occurs inside a part is refused so the caller can pick another."""
    marker = b"--" + boundary.encode("ascii")
    out = bytearray()
    for part in form.parts:
        if marker in part.data:
            raise ValueError("the boundary occurs inside a part")
        disposition = f'form-data; name="{_quoted(part.name)}"'
        if part.filename is not None:
            disposition += f'; filename="{_quoted(part.filename)}"'
        out += marker + b"\r\nContent-Disposition: " + disposition.encode("utf-8") + b"\r\n"
        if part.content_type:
            out += b"Content-Type: " + part.content_type.encode("latin-1") + b"\r\n"
        out += b"\r\n" + part.data + b"\r\n"
    out += marker + b"--\r\n"
    return bytes(out), f"multipart/form-data; boundary={boundary}"
