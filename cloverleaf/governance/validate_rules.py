"""Checks of pricing overrides and routing rules. Both are validated whole, after an update is
merged into the stored object, so a partial update cannot leave an invalid record behind."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import cel

from cloverleaf.governance.models import SCOPES, RoutingTarget
from cloverleaf.governance.validate import fail, number, opt_bool, opt_str, req_str, str_list

REQUEST_TYPES = frozenset(
    {
        "chat_completion",
        "text_completion",
        "responses",
        "embedding",
        "rerank",
        "speech",
        "transcription",
        "image_generation",
        "image_variation",
        "image_edit",
        "video_generation",
        "video_remix",
    }
)
#: which ids each scope needs; an id a scope does not use is refused, not ignored
_SCOPE_IDS: dict[str, frozenset[str]] = {
    "global": frozenset(),
    "provider": frozenset({"provider_id"}),
    "provider_key": frozenset({"provider_key_id"}),
    "virtual_key": frozenset({"virtual_key_id"}),
    "virtual_key_provider": frozenset({"virtual_key_id", "provider_id"}),
    "virtual_key_provider_key": frozenset({"virtual_key_id", "provider_key_id"}),
}
_SCOPE_ID_NAMES = ("virtual_key_id", "provider_id", "provider_key_id")
#: the seed's PricingPatch fields (USD per unit)
PRICE_FIELDS = frozenset(
    {
        "input_cost_per_token",
        "output_cost_per_token",
        "input_cost_per_token_batches",
        "output_cost_per_token_batches",
        "input_cost_per_token_priority",
        "output_cost_per_token_priority",
        "input_cost_per_character",
        "input_cost_per_token_above_128k_tokens",
        "output_cost_per_token_above_128k_tokens",
        "input_cost_per_token_above_200k_tokens",
        "output_cost_per_token_above_200k_tokens",
        "cache_creation_input_token_cost",
        "cache_read_input_token_cost",
        "cache_creation_input_token_cost_above_200k_tokens",
        "cache_read_input_token_cost_above_200k_tokens",
        "cache_read_input_token_cost_priority",
        "cache_read_input_image_token_cost",
        "cache_creation_input_audio_token_cost",
        "input_cost_per_image",
        "output_cost_per_image",
        "input_cost_per_pixel",
        "output_cost_per_pixel",
        "input_cost_per_image_token",
        "output_cost_per_image_token",
        "output_cost_per_image_low_quality",
        "output_cost_per_image_medium_quality",
        "output_cost_per_image_high_quality",
        "output_cost_per_image_auto_quality",
        "output_cost_per_image_premium_image",
        "output_cost_per_image_above_512_and_512_pixels",
        "output_cost_per_image_above_1024_and_1024_pixels",
        "output_cost_per_image_above_2048_and_2048_pixels",
        "output_cost_per_image_above_4096_and_4096_pixels",
        "input_cost_per_audio_token",
        "output_cost_per_audio_token",
        "input_cost_per_audio_per_second",
        "input_cost_per_second",
        "input_cost_per_video_per_second",
        "output_cost_per_video_per_second",
        "output_cost_per_second",
        "search_context_cost_per_query",
        "code_interpreter_cost_per_session",
    }
)
RULE_SCOPES = ("global", "team", "customer", "virtual_key")
#: weights are decimals as written; allow for clients that send 1/3 as 0.333333
_WEIGHT_SUM_TOLERANCE = Decimal("0.000001")


@dataclass(frozen=True, slots=True)
class PricingFields:
    name: str
    scope_kind: str
    virtual_key_id: str | None
    provider_id: str | None
    provider_key_id: str | None
    match_type: str
    pattern: str
    request_types: tuple[str, ...]
    patch: Mapping[str, Decimal]


def pricing_fields(body: Mapping[str, Any]) -> PricingFields:
    """`body` is a complete override (a create, or an update merged over the stored one)."""
    scope = req_str(body, "scope_kind")
    if scope not in _SCOPE_IDS:
        raise fail(f"scope_kind must be one of {', '.join(SCOPES)}", "scope_kind")
    ids = {name: opt_str(body, name) or None for name in _SCOPE_ID_NAMES}
    for name in _SCOPE_ID_NAMES:
        needed = name in _SCOPE_IDS[scope]
        if needed and ids[name] is None:
            raise fail(f"{name} is required for scope_kind {scope}", name)
        if not needed and ids[name] is not None:
            raise fail(f"{name} does not apply to scope_kind {scope}", name)
    match_type = req_str(body, "match_type")
    pattern = req_str(body, "pattern")
    if match_type == "exact":
        if "*" in pattern:
            raise fail("an exact pattern cannot contain *", "pattern")
    elif match_type == "wildcard":
        if not pattern.endswith("*") or "*" in pattern[:-1]:
            raise fail("a wildcard pattern is a prefix ending in one * (e.g. claude-3*)", "pattern")
    else:
        raise fail("match_type must be exact or wildcard", "match_type")
    request_types = str_list(body, "request_types")
    if not request_types:
        raise fail("request_types needs at least one request type", "request_types")
    unknown = sorted(set(request_types) - REQUEST_TYPES)
    if unknown:
        raise fail(f"unknown request_types: {', '.join(unknown)}", "request_types")
    return PricingFields(
        name=req_str(body, "name"),
        scope_kind=scope,
        virtual_key_id=ids["virtual_key_id"],
        provider_id=ids["provider_id"],
        provider_key_id=ids["provider_key_id"],
        match_type=match_type,
        pattern=pattern,
        request_types=tuple(dict.fromkeys(request_types)),
        patch=pricing_patch(body.get("patch")),
    )


def pricing_patch(raw: Any) -> dict[str, Decimal]:
    """Price fields (USD per unit, ≥ 0). Names are checked against the seed's PricingPatch."""
    if raw is None:
        return {}
    if not isinstance(raw, dict):
        raise fail("patch must be an object", "patch")
    unknown = sorted(set(raw) - PRICE_FIELDS)
    if unknown:
        raise fail(f"unknown price fields in patch: {', '.join(unknown)}", "patch")
    return {
        name: number(value, f"patch.{name}") for name, value in raw.items() if value is not None
    }


def compile_cel(expression: str) -> None:
    """Routing evaluates the expression later; here it must at least compile."""
    try:
        cel.compile(expression)
    except (ValueError, RuntimeError) as exc:
        first = str(exc).splitlines()[0] if str(exc) else "invalid expression"
        raise fail(f"cel_expression does not compile: {first}", "cel_expression") from None


@dataclass(frozen=True, slots=True)
class RuleFields:
    name: str
    description: str
    enabled: bool
    cel_expression: str
    targets: tuple[RoutingTarget, ...]
    fallbacks: tuple[str, ...]
    scope: str
    scope_id: str | None
    priority: int
    query: Mapping[str, Any] | None


def rule_fields(body: Mapping[str, Any]) -> RuleFields:
    """`body` is a complete rule (a create, or an update merged over the stored one)."""
    scope = req_str(body, "scope")
    if scope not in RULE_SCOPES:
        raise fail(f"scope must be one of {', '.join(RULE_SCOPES)}", "scope")
    scope_id = opt_str(body, "scope_id") or None
    if scope != "global" and scope_id is None:
        raise fail(f"scope_id is required for scope {scope}", "scope_id")
    if scope == "global" and scope_id is not None:
        raise fail("scope_id does not apply to the global scope", "scope_id")
    expression = req_str(body, "cel_expression")
    compile_cel(expression)
    priority = body.get("priority")
    if isinstance(priority, bool) or not isinstance(priority, int):
        raise fail("priority is required and must be an integer", "priority")
    fallbacks = str_list(body, "fallbacks")
    for fallback in fallbacks:
        provider, _, model = fallback.partition("/")
        if not provider or not model:
            raise fail(f"fallback {fallback!r} must be provider/model", "fallbacks")
    query = body.get("query")
    if query is not None and not isinstance(query, dict):
        raise fail("query must be an object or null", "query")
    enabled = opt_bool(body, "enabled")
    return RuleFields(
        name=req_str(body, "name"),
        description=opt_str(body, "description") or "",
        enabled=True if enabled is None else enabled,
        cel_expression=expression,
        targets=routing_targets(body.get("targets")),
        fallbacks=fallbacks,
        scope=scope,
        scope_id=scope_id,
        priority=priority,
        query=query,
    )


def routing_targets(raw: Any) -> tuple[RoutingTarget, ...]:
    """At least one target, each weight > 0, weights summing to 1; a pinned key needs its
    provider."""
    if not isinstance(raw, list) or not raw or not all(isinstance(t, dict) for t in raw):
        raise fail("targets must be a non-empty list of objects", "targets")
    targets: list[RoutingTarget] = []
    for index, item in enumerate(raw):
        at = f"targets[{index}]"
        if item.get("weight") is None:
            raise fail(f"{at}.weight is required", f"{at}.weight")
        weight = number(item["weight"], f"{at}.weight")
        if weight <= 0:
            raise fail(f"{at}.weight must be greater than 0", f"{at}.weight")
        provider = opt_str(item, "provider", f"{at}.provider") or None
        key_id = opt_str(item, "key_id", f"{at}.key_id") or None
        if key_id is not None and provider is None:
            raise fail(f"{at}.key_id needs {at}.provider", f"{at}.provider")
        model = opt_str(item, "model", f"{at}.model") or None
        targets.append(RoutingTarget(provider, model, key_id, weight))
    total = sum((t.weight for t in targets), Decimal(0))
    if abs(total - 1) > _WEIGHT_SUM_TOLERANCE:
        raise fail(f"target weights must sum to 1, not {total}", "targets")
    return tuple(targets)
