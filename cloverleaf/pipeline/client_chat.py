"""A chat request as the client sent it, in its own dialect, decoded only as far as needed."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

from cloverleaf.core.chat import ChatRequest
from cloverleaf.formats.base import ChatDialect
from cloverleaf.formats.openai_chat.request import PeekedChat


@dataclass(slots=True)
class ClientChat:
    """`peek` is set for OpenAI clients: their bytes can go upstream untouched. The full core
    request is decoded only when some target speaks another dialect."""

    dialect: ChatDialect
    body: dict[str, Any]
    model: str
    stream: bool
    fallbacks: tuple[str, ...] = ()
    peek: PeekedChat | None = None
    #: the body as the client sent it (for same-dialect pass-through)
    raw: bytes = b""
    #: fields the route took from the URL into `body` (Gemini's model and stream): never sent
    url_fields: frozenset[str] = frozenset()
    #: Bifrost's request type its record carries (prices and overrides are per type)
    request_type: str = "chat_completion"
    _core: ChatRequest | None = field(default=None, repr=False)

    @classmethod
    def from_openai(cls, dialect: ChatDialect, peek: PeekedChat) -> ClientChat:
        return cls(dialect, peek.body, peek.model, peek.stream, peek.fallbacks, peek)

    def core(self) -> ChatRequest:
        if self._core is None:
            decoded = self.dialect.decode_request(self.body)
            if decoded.source != self.dialect.name:  # a copy costs: decoders may set it
                decoded = replace(decoded, source=self.dialect.name)
            self._core = decoded
        return self._core
