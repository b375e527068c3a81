"""Azure OpenAI: the OpenAI wire, addressed by deployment, with a pinned `api-version`.

The endpoint and API version come from each key's `azure_key_config` (several resources can
share traffic); the deployment is the model name after the key's aliases, so
`aliases: {gpt-4o: my-gpt4o-deployment}` maps a user-facing name onto a deployment.
"""

from __future__ import annotations

from urllib.parse import quote

from cloverleaf.formats.openai_chat.dialect import OpenAIChatDialect
from cloverleaf.providers.chat_adapters import ChatAdapter
from cloverleaf.providers.spec import AuthStyle, ProviderSpec

DEFAULT_API_VERSION = "2024-10-21"

SPEC = ProviderSpec(
    "azure",
    "",  # no default: every Azure resource has its own endpoint
    api_prefix="/openai",
    dialect="openai_chat",
    adapter="azure",
    auth=AuthStyle.API_KEY,
    has_models_endpoint=False,  # deployments are listed by the management API, not here
)


def _path(model: str, stream: bool) -> str:
    return f"/deployments/{quote(model, safe='')}/chat/completions"


ADAPTER = ChatAdapter(OpenAIChatDialect(), _path, byte_passthrough=True, models_path=None)
