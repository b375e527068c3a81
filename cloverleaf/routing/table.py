"""The routing table: configured providers at run time, and model name → target."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field, replace

from cloverleaf.config.load import ConfigError
from cloverleaf.config.providers import GatewayConfig, ProviderConfig
from cloverleaf.core.errors import GatewayError, bad_request, not_found
from cloverleaf.providers.chat_adapters import ChatAdapter
from cloverleaf.providers.registry import (
    CHAT_ADAPTERS,
    KNOWN_NAMES,
    UnknownProviderError,
    spec_for,
)
from cloverleaf.providers.spec import ProviderSpec
from cloverleaf.routing.keys import KeyPicker, UpstreamKey
from cloverleaf.routing.limiter import ConcurrencyLimiter
from cloverleaf.transport.base import NetworkProfile

_PLACEHOLDER = re.compile(r"\{(\w+)\}")
#: AWS regions are per key; a key that names none gets AWS's own default
_DEFAULT_PARAMS = {"region": "us-east-1"}


@dataclass(frozen=True, slots=True)
class ProviderRoute:
    """One configured provider, ready to call: spec, URL, keys, network policy, limiter."""

    name: str
    spec: ProviderSpec
    base_url: str
    keys: tuple[UpstreamKey, ...]
    extra_headers: tuple[tuple[str, str], ...]
    profile: NetworkProfile
    max_retries: int
    backoff_initial_ms: int
    backoff_max_ms: int
    adapter: ChatAdapter = field(compare=False)
    limiter: ConcurrencyLimiter = field(compare=False)
    picker: KeyPicker = field(compare=False)
    #: custom providers: the request types they accept (None: all) and per-type path overrides
    allowed_requests: frozenset[str] | None = None
    path_overrides: Mapping[str, str] = field(default_factory=dict)
    #: Bifrost's per-provider switches: echo the upstream bodies in `extra_fields`
    send_back_raw_request: bool = False
    send_back_raw_response: bool = False

    @property
    def echoes_raw(self) -> bool:
        return self.send_back_raw_request or self.send_back_raw_response

    def root(self, key: UpstreamKey) -> str:
        """Base URL and API prefix with the key's `{placeholders}` filled (Vertex's project and
        region, the AWS region): one provider's keys may point at different places."""
        template = self.spec.endpoint(key.server_url or self.base_url, "")
        if "{" not in template:
            return template
        params = {**_DEFAULT_PARAMS, **key.url_params}
        return _PLACEHOLDER.sub(lambda m: params.get(m[1], m[0]), template)

    def url(self, key: UpstreamKey, operation_path: str) -> str:
        url = self.root(key) + operation_path
        if key.api_version:  # Azure pins an API version per key
            url += ("&" if "?" in url else "?") + "api-version=" + key.api_version
        return url

    def chat_url(self, key: UpstreamKey, model: str, stream: bool) -> str:
        """The chat endpoint, after the custom provider's allow-list and path overrides."""
        kind = "chat_completion_stream" if stream else "chat_completion"
        if self.allowed_requests is not None and kind not in self.allowed_requests:
            raise GatewayError(
                400,
                f"provider {self.name} does not allow {kind} requests "
                "(custom_provider_config.allowed_requests)",
                code="request_type_not_allowed",
            )
        overridden = self.overridden_url(key, kind, "chat_completion")
        if overridden is not None:
            return overridden
        return self.url(key, self.adapter.for_model(model).path(model, stream))

    def overridden_url(self, key: UpstreamKey, *kinds: str) -> str | None:
        """A custom provider's own path for the first of `kinds` (request types) it overrides
        (Bifrost's `request_path_overrides`), under the key's or the provider's base URL; None
        when it overrides none of them."""
        for kind in kinds:
            override = self.path_overrides.get(kind)
            if override:
                return (key.server_url or self.base_url).rstrip("/") + "/" + override.lstrip("/")
        return None

    def allows(self, model: str) -> bool:
        return any(key.allows(model) for key in self.keys)

    def pinned(self, key_ids: frozenset[str]) -> ProviderRoute:
        """This provider limited to some of its keys (a virtual key's pinned `key_ids`); the
        concurrency limiter stays the provider's own."""
        keys = tuple(key for key in self.keys if key.id in key_ids)
        return replace(self, keys=keys, picker=KeyPicker(keys))

    def aliases(self) -> set[str]:
        return {alias for key in self.keys for alias in key.aliases}


@dataclass(frozen=True, slots=True)
class Target:
    route: ProviderRoute
    model: str  # the user-facing name within the provider; a key's alias may rename it

    @property
    def adapter(self) -> ChatAdapter:
        """The wire this model speaks on its provider (most providers have one)."""
        return self.route.adapter.for_model(self.model)

    @property
    def label(self) -> str:
        return f"{self.route.name}/{self.model}"


class RoutingTable:
    """Immutable once built; a config change builds a new table (no locks on the hot path)."""

    def __init__(self, routes: Mapping[str, ProviderRoute]) -> None:
        self.routes = dict(routes)
        # live model lists per provider, filled by the model-listing service when it runs
        self.listed_models: dict[str, frozenset[str]] = {}

    def resolve(self, model: str) -> Target:
        if not model:
            raise bad_request("model is required", param="model")
        prefix, sep, rest = model.partition("/")
        if sep and rest:
            route = self.routes.get(prefix)
            if route is not None:
                return Target(route, rest)
            if prefix in KNOWN_NAMES:
                raise bad_request(
                    f"provider {prefix!r} is not configured; configured: {self._names()}",
                    param="model",
                    code="provider_not_configured",
                )
        route = self._bare(model)
        if route is None:
            raise not_found(
                f"model {model!r} is not served by any configured provider; use the "
                f"provider/model form (configured providers: {self._names()})"
            )
        return Target(route, model)

    def _bare(self, model: str) -> ProviderRoute | None:
        routes = list(self.routes.values())
        for route in routes:
            if model in route.aliases():
                return route
        for route in routes:
            if any(model in key.models for key in route.keys):
                return route
        for route in routes:
            if model in self.listed_models.get(route.name, ()):
                return route
        return routes[0] if len(routes) == 1 else None

    def _names(self) -> str:
        return ", ".join(self.routes) or "none"


def build_table(config: GatewayConfig) -> RoutingTable:
    """Validate provider names and build every route; raises ValueError naming the provider."""
    return RoutingTable({name: build_route(name, pc) for name, pc in config.providers.items()})


def build_route(name: str, config: ProviderConfig) -> ProviderRoute:
    spec = spec_for(name, config)
    custom = config.custom_provider_config
    adapter = CHAT_ADAPTERS.get(spec.adapter or spec.dialect)
    if adapter is None:
        raise UnknownProviderError(f"provider {name!r}: dialect {spec.dialect!r} is not available")
    network = config.network_config
    keys = _keys(name, spec, config)
    base_url = network.base_url or spec.base_url
    if not base_url and not all(key.server_url for key in keys):
        raise UnknownProviderError(
            f"provider {name!r} has no endpoint: give network_config.base_url or a per-key URL "
            "(azure_key_config.endpoint, vllm_key_config.url, ...)"
        )
    proxy = config.proxy_config
    profile = NetworkProfile(
        timeout_s=float(network.default_request_timeout_in_seconds),
        proxy_type=proxy.type,
        proxy_url=proxy.url,
        proxy_username=proxy.username,
        proxy_password=proxy.password,
        ca_cert_pem="\n".join(p for p in (network.ca_cert_pem, proxy.ca_cert_pem) if p) or None,
        insecure_skip_verify=network.insecure_skip_verify,
    )
    limits = config.concurrency_and_buffer_size
    route = ProviderRoute(
        name=name,
        spec=spec,
        base_url=base_url,
        keys=keys,
        extra_headers=tuple(network.extra_headers.items()),
        profile=profile,
        max_retries=network.max_retries,
        backoff_initial_ms=network.retry_backoff_initial,
        backoff_max_ms=max(network.retry_backoff_max, network.retry_backoff_initial),
        adapter=adapter,
        allowed_requests=_allowed(config),
        path_overrides=dict(custom.request_path_overrides) if custom else {},
        limiter=ConcurrencyLimiter(name, limits.concurrency, limits.buffer_size),
        picker=KeyPicker(keys),
        send_back_raw_request=config.send_back_raw_request,
        send_back_raw_response=config.send_back_raw_response,
    )
    for key in keys:  # a URL the key cannot fill would fail every request: refuse it now
        missing = _PLACEHOLDER.findall(route.root(key))
        if missing:
            raise ConfigError(
                f"provider {name!r}, key {key.name!r}: the URL needs "
                + ", ".join(f"{{{p}}}" for p in dict.fromkeys(missing))
                + ", which this key's config does not give (vertex_key_config.project_id, ...)"
            )
    return route


def _keys(name: str, spec: ProviderSpec, config: ProviderConfig) -> tuple[UpstreamKey, ...]:
    try:
        keys = tuple(
            UpstreamKey.from_config(key, fallback_id=f"{name}-{index}")
            for index, key in enumerate(config.keys)
            if key.enabled
        )
    except ConfigError as exc:
        raise ConfigError(f"provider {name!r}, {exc}") from None
    if not keys and spec.keyless:
        keys = (
            UpstreamKey(f"{name}-keyless", "keyless", "", 1.0, frozenset(), frozenset(), {}, None),
        )
    return keys


def no_key_error(target: Target) -> GatewayError:
    if not target.route.keys:
        message = f"provider {target.route.name} has no enabled keys"
    else:
        message = f"no enabled key of provider {target.route.name} may serve model {target.model!r}"
    return GatewayError(400, message, code="model_not_allowed", param="model")


def _allowed(config: ProviderConfig) -> frozenset[str] | None:
    custom = config.custom_provider_config
    if custom is None or custom.allowed_requests is None:
        return None
    return frozenset(kind for kind, allowed in custom.allowed_requests.items() if allowed)
