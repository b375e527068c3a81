"""Which providers, models and upstream keys a virtual key may use: its `provider_configs`
decide (none means nothing), a bare model name is spread over them by weight, and pinned
`key_ids` narrow the keys the router may pick."""

from __future__ import annotations

import random
from bisect import bisect_right
from collections.abc import Awaitable, Callable, Sequence
from itertools import accumulate

from cloverleaf.core.errors import GatewayError
from cloverleaf.governance.models import ProviderConfig, VirtualKey
from cloverleaf.routing.table import ProviderRoute, RoutingTable, Target

Resolve = Callable[[str], Awaitable[Target]]
#: (provider name, pinned key ids) → (the route it was made from, the narrowed route)
_PINNED: dict[tuple[str, frozenset[str]], tuple[ProviderRoute, ProviderRoute]] = {}
_MAX_PINNED = 1024


def forbidden(message: str, code: str = "model_not_allowed") -> GatewayError:
    return GatewayError(403, message, type="permission_error", code=code)


async def allowed_targets(
    key: VirtualKey,
    table: RoutingTable,
    resolve: Resolve,
    model: str,
    fallbacks: Sequence[str],
    *,
    rng: random.Random,
) -> list[Target]:
    """The request's targets (first the model, then its fallbacks), each one the key may use,
    or a 403 naming what it may not."""
    if not key.provider_configs:
        raise forbidden(
            f"virtual key {key.name!r} has no provider configs, so it may use no provider; "
            "add one (provider, allowed_models) to the key",
            code="no_provider_allowed",
        )
    first = _weighted(key, table, model, rng)
    targets = [first if first is not None else await resolve(model)]
    targets += [await resolve(name) for name in fallbacks]
    return [_permitted(key, target) for target in targets]


def _weighted(
    key: VirtualKey, table: RoutingTable, model: str, rng: random.Random
) -> Target | None:
    """A bare model that several of the key's providers may serve: choose one by weight."""
    provider, sep, rest = model.partition("/")
    if sep and rest and provider in table.routes:
        return None
    configs = [
        config
        for config in key.provider_configs
        if config.provider in table.routes and model in config.allowed_models
    ]
    if not configs:
        configs = [
            config
            for config in key.provider_configs
            if config.provider in table.routes
            and not config.allowed_models
            and _serves(table, table.routes[config.provider], model)
        ]
    if not configs:
        return None
    if len(configs) == 1:
        return Target(table.routes[configs[0].provider], model)
    weights = [config.weight if config.weight is not None else 1.0 for config in configs]
    total = sum(weights)
    if total <= 0:
        return Target(table.routes[configs[0].provider], model)
    cumulative = list(accumulate(weights))
    chosen = configs[min(bisect_right(cumulative, rng.random() * total), len(configs) - 1)]
    return Target(table.routes[chosen.provider], model)


def _serves(table: RoutingTable, route: ProviderRoute, model: str) -> bool:
    if model in route.aliases() or any(model in key.models for key in route.keys):
        return True
    return model in table.listed_models.get(route.name, ())


def config_for(key: VirtualKey, provider: str) -> ProviderConfig | None:
    return next((c for c in key.provider_configs if c.provider == provider), None)


def _permitted(key: VirtualKey, target: Target) -> Target:
    provider = target.route.name
    config = config_for(key, provider)
    if config is None:
        allowed = ", ".join(c.provider for c in key.provider_configs)
        raise forbidden(
            f"virtual key {key.name!r} may not use provider {provider!r} (allowed: {allowed})"
        )
    if config.allowed_models and target.model not in config.allowed_models:
        raise forbidden(
            f"virtual key {key.name!r} may not use model {target.model!r} of provider "
            f"{provider!r} (allowed: {', '.join(config.allowed_models)})"
        )
    if not config.key_ids:
        return target
    return Target(_pinned_route(target.route, frozenset(config.key_ids), key), target.model)


def _pinned_route(route: ProviderRoute, key_ids: frozenset[str], key: VirtualKey) -> ProviderRoute:
    cached = _PINNED.get((route.name, key_ids))
    if cached is not None and cached[0] is route:
        return cached[1]
    pinned = route.pinned(key_ids)
    if not pinned.keys:
        raise forbidden(
            f"virtual key {key.name!r} is pinned to upstream keys of {route.name!r} that are "
            "not configured or not enabled",
            code="no_key_allowed",
        )
    if len(_PINNED) >= _MAX_PINNED:
        _PINNED.clear()
    _PINNED[(route.name, key_ids)] = (route, pinned)
    return pinned
