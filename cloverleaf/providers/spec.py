"""What the gateway needs to know about an upstream provider, as plain data."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum


class AuthStyle(Enum):
    """Where a provider wants its key. Signing schemes (SigV4) need the whole request."""

    BEARER = "bearer"
    X_API_KEY = "x-api-key"
    X_GOOG_API_KEY = "x-goog-api-key"
    API_KEY = "api-key"  # Azure OpenAI
    XI_API_KEY = "xi-api-key"  # ElevenLabs
    SIGV4 = "sigv4"  # AWS: the whole request is signed


class StreamUsage(Enum):
    """How a provider reports usage on streams, so the gateway can always account for tokens."""

    #: honours `stream_options.include_usage`: the gateway asks for it and hides it if the client
    #: did not ask
    STREAM_OPTIONS = "stream_options"
    #: sends usage unasked (or rejects `stream_options`): never add the option
    UNASKED = "unasked"


@dataclass(frozen=True, slots=True)
class ProviderSpec:
    """One provider's wire facts. OpenAI-compatible vendors differ only in these values.

    `base_url` is the provider's origin as its docs give it; `api_prefix` is the path the OpenAI
    surface hangs under (`/v1`, `/openai/v1`, or nothing for Perplexity).
    """

    name: str
    base_url: str
    api_prefix: str = "/v1"
    dialect: str = "openai_chat"
    #: the chat adapter to use when it is not the dialect's own (Azure: OpenAI by deployment)
    adapter: str = ""
    #: other suffixes users paste onto the base URL that the gateway should strip (Ollama's /v1)
    alt_prefixes: tuple[str, ...] = ()
    auth: AuthStyle = AuthStyle.BEARER
    #: headers every request carries (Anthropic's `anthropic-version`, ...)
    default_headers: tuple[tuple[str, str], ...] = ()
    keyless: bool = False
    stream_usage: StreamUsage = StreamUsage.STREAM_OPTIONS
    has_models_endpoint: bool = True
    #: request fields renamed before sending (e.g. Mistral's `seed` → `random_seed`)
    renamed_params: tuple[tuple[str, str], ...] = ()
    #: request fields dropped because the provider rejects them and dropping is harmless
    dropped_params: frozenset[str] = field(default_factory=frozenset)
    #: message fields the provider rejects in history (DeepSeek's `reasoning_content`)
    dropped_message_fields: frozenset[str] = field(default_factory=frozenset)

    def endpoint(self, base_url: str, operation_path: str) -> str:
        """Full URL of an operation (`/chat/completions`) under a configured or default base URL.

        Accepts a base URL given with or without the API prefix (`https://api.groq.com` and
        `https://api.groq.com/openai/v1` both work), since users copy either from docs.
        """
        base = base_url.rstrip("/")
        if self.api_prefix and base.endswith(self.api_prefix):
            return base + operation_path
        for suffix in self.alt_prefixes:
            if base.endswith(suffix):
                base = base[: -len(suffix)]
        return base + self.api_prefix + operation_path
