"""Cloudflare Workers AI. The account is part of the URL, so `network_config.base_url` must be
`https://api.cloudflare.com/client/v4/accounts/<account_id>/ai` (the Inference Gateway's
`CLOUDFLARE_API_URL`); there is no usable default.

`cloudflare` speaks the OpenAI-compatible `/v1` surface (byte pass-through for OpenAI clients);
`cloudflare-run` speaks the native `/run/{model}` envelope, for models only it serves.
"""

from __future__ import annotations

from cloverleaf.formats.cloudflare.dialect import CloudflareRunDialect
from cloverleaf.providers.chat_adapters import ALL_CAPABILITIES, Capability, ChatAdapter
from cloverleaf.providers.spec import ProviderSpec

OPENAI_SURFACE = ProviderSpec("cloudflare", "", api_prefix="/v1", has_models_endpoint=False)
NATIVE = ProviderSpec(
    "cloudflare-run", "", api_prefix="", dialect="cloudflare_run", has_models_endpoint=False
)
SPECS = (OPENAI_SURFACE, NATIVE)


def _run_path(model: str, stream: bool) -> str:
    return f"/run/{model}"  # the model id goes in unencoded: `@cf/meta/llama-3.1-8b-instruct`


#: the run envelope has no image parts and no reasoning field (request or answer)
ADAPTER = ChatAdapter(
    CloudflareRunDialect(),
    _run_path,
    models_path=None,
    capabilities=ALL_CAPABILITIES - {Capability.IMAGES, Capability.REASONING},
)
