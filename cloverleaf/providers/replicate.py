"""Replicate: LLMs behind the predictions API (create, then wait, poll or stream).

Model ids name the endpoint: `owner/name` → `/v1/models/{owner}/{name}/predictions`,
`owner/name:version` → `/v1/predictions` with the version in the body, `deployments/owner/name`
→ `/v1/deployments/{owner}/{name}/predictions` (a key with
`replicate_key_config.use_deployments_endpoint` adds that prefix itself). There is no model list
the gateway could read.
"""

from __future__ import annotations

from cloverleaf.formats.replicate import ReplicateDialect, prediction_path
from cloverleaf.providers.chat_adapters import Capability, ChatAdapter
from cloverleaf.providers.replicate_predictions import PredictionFollowUp
from cloverleaf.providers.spec import ProviderSpec

SPEC = ProviderSpec(
    "replicate",
    "https://api.replicate.com",
    api_prefix="/v1",
    dialect="replicate",
    has_models_endpoint=False,
)

#: `Prefer: wait` holds a create open until the prediction ends (up to 60 s), saving the polls;
#: never on streams, whose first token must not wait for the last
_WAIT = (("prefer", "wait"),)


def _call_headers(stream: bool) -> tuple[tuple[str, str], ...]:
    return () if stream else _WAIT


#: no tools, images, structured output or reasoning controls reach the model; USAGE is not
#: claimed because streams carry none (whole answers do: the prediction's `metrics`)
CAPABILITIES = frozenset({Capability.SYSTEM, Capability.STREAMING})

ADAPTER = ChatAdapter(
    ReplicateDialect(),
    prediction_path,
    models_path=None,
    capabilities=CAPABILITIES,
    follow_up=PredictionFollowUp(),
    call_headers=_call_headers,
)
