"""Per dialect: the codec, and the path its chat operation lives at under the API prefix."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from types import MappingProxyType

from cloverleaf.formats.base import ChatDialect
from cloverleaf.formats.openai_chat.dialect import OpenAIChatDialect

#: (upstream model id, stream?) → path under the provider's API prefix, query string included
ChatPath = Callable[[str, bool], str]


@dataclass(frozen=True, slots=True)
class ChatAdapter:
    dialect: ChatDialect
    path: ChatPath
    #: a client of this same dialect can be served by forwarding its bytes
    byte_passthrough: bool = False


def _openai_path(model: str, stream: bool) -> str:
    return "/chat/completions"


CHAT_ADAPTERS: Mapping[str, ChatAdapter] = MappingProxyType(
    {"openai_chat": ChatAdapter(OpenAIChatDialect(), _openai_path, byte_passthrough=True)}
)
