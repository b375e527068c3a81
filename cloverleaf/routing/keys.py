"""Upstream keys at run time and the weighted choice among those that may serve a model."""

from __future__ import annotations

import os
import random
from bisect import bisect_right
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from itertools import accumulate
from typing import Protocol

from cloverleaf.config.providers import KeyConfig
from cloverleaf.providers import vertex
from cloverleaf.providers.auth import AwsCredentials, Credential
from cloverleaf.providers.azure import DEFAULT_API_VERSION
from cloverleaf.providers.oauth import token_source_for
from cloverleaf.transport.base import NetworkProfile, Transport


class TokenSource(Protocol):
    """A short-lived bearer token obtained from an identity service (Vertex service account,
    Azure Entra), cached until shortly before it expires. `refresh` is a no-op while fresh."""

    @property
    def token(self) -> str: ...

    async def refresh(self, transport: Transport, profile: NetworkProfile) -> None: ...


@dataclass(frozen=True, slots=True)
class UpstreamKey:
    id: str
    name: str
    secret: str
    weight: float
    models: frozenset[str]
    blacklisted_models: frozenset[str]
    aliases: Mapping[str, str]
    server_url: str | None
    aws: AwsCredentials | None = None
    api_version: str | None = None
    #: when set, the bearer token comes from here rather than `secret`
    token_source: TokenSource | None = None
    #: values for `{placeholders}` in the provider's URL (Vertex's project and region, AWS region)
    url_params: Mapping[str, str] = field(default_factory=dict)
    #: put before the provider's model id (Replicate `use_deployments_endpoint`: `deployments/`)
    model_prefix: str = ""
    #: the key Files and Batches calls use (Bifrost's `use_for_batch_api`)
    use_for_batch_api: bool = False

    @classmethod
    def from_config(cls, key: KeyConfig, fallback_id: str) -> UpstreamKey:
        """Raises ConfigError naming the key when a credential block cannot work."""
        name = key.name or key.id or fallback_id
        aws = aws_credentials(key)
        return cls(
            id=key.id or fallback_id,
            name=name,
            secret=key.value.value,
            weight=key.weight,
            models=frozenset(key.models),
            blacklisted_models=frozenset(key.blacklisted_models),
            aliases=dict(key.aliases),
            server_url=key.server_url(),
            aws=aws,
            api_version=_api_version(key),
            token_source=token_source_for(
                key.vertex_key_config, key.azure_key_config, name, os.environ
            ),
            url_params=_url_params(key, aws, name),
            model_prefix="deployments/"
            if key.replicate_key_config and key.replicate_key_config.use_deployments_endpoint
            else "",
            use_for_batch_api=key.use_for_batch_api,
        )

    @property
    def credential(self) -> Credential:
        if self.token_source is not None:
            return Credential(self.name, self.token_source.token, self.aws, bearer=True)
        return Credential(self.name, self.secret, self.aws)

    def upstream_model(self, model: str) -> str:
        """The provider's own id for a user-facing name (deployment, inference profile, ...)."""
        return self.model_prefix + self.aliases.get(model, model)

    def allows(self, model: str) -> bool:
        """`models` is an allowlist (empty = any); the blacklist always wins.

        Both lists are checked against the user-facing name and the aliased upstream id.
        """
        names = {model, self.upstream_model(model)}
        if names & self.blacklisted_models:
            return False
        return not self.models or bool(names & self.models)

    def __repr__(self) -> str:
        return f"UpstreamKey(id={self.id!r}, weight={self.weight})"


class KeyPicker:
    """Weighted random choice among the keys that allow a model.

    The eligible keys and their cumulative weights are worked out once per model name, so a
    request pays one dictionary lookup and one bisect. The cache is bounded: client-chosen model
    names must not grow memory.
    """

    __slots__ = ("_cache", "keys")
    MAX_CACHED_MODELS = 4096

    def __init__(self, keys: Sequence[UpstreamKey]) -> None:
        self.keys = tuple(keys)
        self._cache: dict[str, tuple[tuple[UpstreamKey, ...], tuple[float, ...]]] = {}

    def choose(self, model: str, rng: random.Random) -> UpstreamKey | None:
        entry = self._cache.get(model)
        if entry is None:
            eligible = tuple(key for key in self.keys if key.weight > 0 and key.allows(model))
            if len(self._cache) >= self.MAX_CACHED_MODELS:
                self._cache.clear()
            entry = self._cache[model] = (eligible, tuple(accumulate(k.weight for k in eligible)))
        eligible, cumulative = entry
        if len(eligible) <= 1:
            return eligible[0] if eligible else None
        return eligible[bisect_right(cumulative, rng.random() * cumulative[-1])]


def aws_credentials(key: KeyConfig) -> AwsCredentials | None:
    block = key.bedrock_key_config
    if block is None or block.access_key is None or block.secret_key is None:
        return None
    region = block.region.value if block.region else "us-east-1"
    token = block.session_token.value if block.session_token else None
    return AwsCredentials(block.access_key.value, block.secret_key.value, region, token or None)


def _api_version(key: KeyConfig) -> str | None:
    block = key.azure_key_config
    if block is None:
        return None
    return block.api_version.value if block.api_version else DEFAULT_API_VERSION


def _url_params(key: KeyConfig, aws: AwsCredentials | None, name: str) -> dict[str, str]:
    if key.vertex_key_config is not None:
        return vertex.url_params(key.vertex_key_config, name)
    return {"region": aws.region} if aws is not None else {}
