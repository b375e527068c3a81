"""Name → provider spec, including custom providers built on a known dialect."""

from __future__ import annotations

from dataclasses import replace

from cloverleaf.config.providers import ProviderConfig
from cloverleaf.providers.openai_compatible import OPENAI_COMPATIBLE
from cloverleaf.providers.spec import ProviderSpec

BUILTIN = OPENAI_COMPATIBLE

#: every provider name a client may put before a slash (Bifrost's ModelProvider enum and ours),
#: so `anthropic/claude-...` with no anthropic configured is a clear error, not a bare model name
KNOWN_NAMES = frozenset(BUILTIN) | frozenset(
    {
        "azure",
        "anthropic",
        "bedrock",
        "cohere",
        "vertex",
        "gemini",
        "google",
        "replicate",
        "elevenlabs",
        "runway",
        "cloudflare",
    }
)


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
