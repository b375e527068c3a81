"""AWS Bedrock runtime, Converse API, SigV4-signed; one endpoint per region."""

from __future__ import annotations

from cloverleaf.formats.bedrock_converse.dialect import BedrockConverseDialect, converse_path
from cloverleaf.providers.chat_adapters import ChatAdapter
from cloverleaf.providers.spec import AuthStyle, ProviderSpec

SPEC = ProviderSpec(
    "bedrock",
    "https://bedrock-runtime.{region}.amazonaws.com",
    api_prefix="",
    dialect="bedrock_converse",
    auth=AuthStyle.SIGV4,
    has_models_endpoint=False,
)

#: the model list lives on the control-plane host, not the runtime one
ADAPTER = ChatAdapter(BedrockConverseDialect(), converse_path, models_path=None)
