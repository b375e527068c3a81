"""Name → provider spec, including custom providers built on a known dialect."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from types import MappingProxyType

from cloverleaf.config.providers import ProviderConfig
from cloverleaf.providers import (
    anthropic,
    azure,
    bedrock,
    cloudflare,
    cohere,
    elevenlabs,
    gemini,
    ollama,
    openai_compatible,
    replicate,
    vertex,
)
from cloverleaf.providers.chat_adapters import ChatAdapter
from cloverleaf.providers.spec import ProviderSpec

BUILTIN: Mapping[str, ProviderSpec] = MappingProxyType(
    {
        **openai_compatible.OPENAI_COMPATIBLE,
        **{
            spec.name: spec
            for spec in (
                anthropic.SPEC,
                *gemini.SPECS,
                ollama.SPEC,
                bedrock.SPEC,
                azure.SPEC,
                *cloudflare.SPECS,
                cohere.SPEC,
                replicate.SPEC,
                vertex.SPEC,
                elevenlabs.SPEC,
            )
        },
    }
)

#: dialect name → how to call a provider that speaks it
CHAT_ADAPTERS: Mapping[str, ChatAdapter] = MappingProxyType(
    {
        "openai_chat": openai_compatible.ADAPTER,
        "anthropic": anthropic.ADAPTER,
        "gemini": gemini.ADAPTER,
        "ollama": ollama.ADAPTER,
        "bedrock_converse": bedrock.ADAPTER,
        "azure": azure.ADAPTER,
        "cloudflare_run": cloudflare.ADAPTER,
        "cohere": cohere.ADAPTER,
        "replicate": replicate.ADAPTER,
        "vertex": vertex.ADAPTER,
        elevenlabs.NAME: elevenlabs.ADAPTER,
    }
)

#: every provider name a client may put before a slash (Bifrost's ModelProvider enum and ours),
#: so `anthropic/claude-...` with no anthropic configured is a clear error, not a bare model name
KNOWN_NAMES = frozenset(BUILTIN) | frozenset({"replicate", "elevenlabs", "runway"})


class UnknownProviderError(ValueError):
    pass


def spec_for(name: str, config: ProviderConfig) -> ProviderSpec:
    """The spec a configured provider runs with.

    A name that is not built in needs `custom_provider_config.base_provider_type` naming a built-in
    dialect and a `network_config.base_url`; it then inherits that provider's wire facts.
    """
    custom = config.custom_provider_config
    if custom is None:
        if name not in BUILTIN:
            known = ", ".join(sorted(BUILTIN))
            raise UnknownProviderError(
                f"unknown provider {name!r}: use one of {known}, or give "
                "custom_provider_config.base_provider_type"
            )
        return BUILTIN[name]
    base = BUILTIN.get(custom.base_provider_type)
    if base is None:
        raise UnknownProviderError(
            f"custom provider {name!r}: base_provider_type {custom.base_provider_type!r} "
            "is not a supported dialect"
        )
    if not config.network_config.base_url:
        raise UnknownProviderError(f"custom provider {name!r} needs network_config.base_url")
    return replace(base, name=name, keyless=custom.is_key_less)
