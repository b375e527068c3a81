"""Upstream keys at run time and the weighted choice among those that may serve a model."""

from __future__ import annotations

import random
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from cloverleaf.config.providers import KeyConfig


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

    @classmethod
    def from_config(cls, key: KeyConfig, fallback_id: str) -> UpstreamKey:
        return cls(
            id=key.id or fallback_id,
            name=key.name or key.id or fallback_id,
            secret=key.value.value,
            weight=key.weight,
            models=frozenset(key.models),
            blacklisted_models=frozenset(key.blacklisted_models),
            aliases=dict(key.aliases),
            server_url=key.server_url(),
        )

    def upstream_model(self, model: str) -> str:
        """The provider's own id for a user-facing name (deployment, inference profile, ...)."""
        return self.aliases.get(model, model)

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


def choose_key(keys: Sequence[UpstreamKey], model: str, rng: random.Random) -> UpstreamKey | None:
    """Weighted random choice among keys that allow the model; None if no key may serve it."""
    eligible = [key for key in keys if key.weight > 0 and key.allows(model)]
    if not eligible:
        return None
    if len(eligible) == 1:
        return eligible[0]
    return rng.choices(eligible, weights=[key.weight for key in eligible], k=1)[0]
