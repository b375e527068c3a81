"""What a request costs: the catalogue's per-token prices with the most specific pricing override
applied, times the usage the upstream reported — in Decimal, cached input and reasoning included.

A price nobody knows stays unknown: the cost is then `None` and the request "unpriced", never $0.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from decimal import Decimal
from typing import Any

from cloverleaf.catalogue.entries import Catalogue, PriceTier, Pricing
from cloverleaf.core.usage import Usage
from cloverleaf.governance.models import GovernanceSnapshot

#: pricing-override fields (seed 002's PricingPatch) → the catalogue's price fields
_BASE_FIELDS = {
    "input_cost_per_token": "input",
    "output_cost_per_token": "output",
    "cache_read_input_token_cost": "cache_read",
    "cache_creation_input_token_cost": "cache_write",
}
#: tiered fields: input size above which they apply, and the price field they replace
_TIER_FIELDS = {
    "input_cost_per_token_above_128k_tokens": (128_000, "input"),
    "output_cost_per_token_above_128k_tokens": (128_000, "output"),
    "input_cost_per_token_above_200k_tokens": (200_000, "input"),
    "output_cost_per_token_above_200k_tokens": (200_000, "output"),
    "cache_creation_input_token_cost_above_200k_tokens": (200_000, "cache_write"),
    "cache_read_input_token_cost_above_200k_tokens": (200_000, "cache_read"),
}
#: units billed apart from tokens: pricing-override field → the catalogue's price field (the
#: first of two fields naming the same price wins)
_UNIT_FIELDS = {
    "output_cost_per_image": "image",
    "input_cost_per_audio_per_second": "audio_second",
    "input_cost_per_second": "audio_second",
    "input_cost_per_character": "character",
}
#: request types billed by input alone (an embedding has no output tokens, and its catalogue
#: entry no output price)
CHAT = "chat_completion"
INPUT_ONLY = frozenset({"embedding"})
#: request types billed by a unit (per image, per character spoken, per second heard); tokens
#: an upstream also reports are charged on top at settlement where the model has token prices
UNIT_PRICED = {"image_generation": "image", "speech": "character", "transcription": "audio_second"}


@dataclass(frozen=True, slots=True)
class Prices:
    """The prices one request is charged at, and whether an operator override set them."""

    pricing: Pricing
    overridden: bool
    #: the catalogue's largest output for the model (the worst case when a client sets none)
    max_output_tokens: int | None
    request_type: str = CHAT

    @property
    def priced(self) -> bool:
        unit = UNIT_PRICED.get(self.request_type)
        if unit is not None and getattr(self.pricing, unit) is not None:
            return True
        if self.pricing.input is None:
            return False
        return self.request_type in INPUT_ONLY or self.pricing.output is not None


def prices_for(
    catalogue: Catalogue,
    snapshot: GovernanceSnapshot,
    provider: str,
    model: str,
    *,
    request_type: str = CHAT,
    provider_key_id: str | None = None,
    virtual_key_id: str | None = None,
) -> Prices:
    card = catalogue.lookup(provider, model)
    base = card.pricing if card is not None else Pricing()
    override = snapshot.pricing_for(model, request_type, provider, provider_key_id, virtual_key_id)
    if override is None and "/" in model:  # a vendor-prefixed id may be overridden bare
        bare = model.rsplit("/", 1)[1]
        override = snapshot.pricing_for(
            bare, request_type, provider, provider_key_id, virtual_key_id
        )
    pricing = apply_patch(base, override.patch) if override is not None else base
    bound = card.max_output_tokens if card is not None else None
    return Prices(pricing, override is not None, bound, request_type)


def apply_patch(base: Pricing, patch: Mapping[str, Decimal]) -> Pricing:
    """`base` with the override's fields in place; fields the patch omits keep the catalogue's."""
    fields: dict[str, Any] = {
        name: patch[key] for key, name in _BASE_FIELDS.items() if key in patch
    }
    for key, name in _UNIT_FIELDS.items():
        if key in patch:
            fields.setdefault(name, patch[key])
    pricing = replace(base, **fields) if fields else base
    tiers: dict[int, dict[str, Decimal]] = {}
    for key, (above, name) in _TIER_FIELDS.items():
        if key in patch:
            tiers.setdefault(above, {})[name] = patch[key]
    if not tiers:
        return pricing
    kept = [tier for tier in pricing.tiers if tier.above_input_tokens not in tiers]
    added = [PriceTier(above, **values) for above, values in tiers.items()]
    ordered = sorted(kept + added, key=lambda tier: tier.above_input_tokens)
    return replace(pricing, tiers=tuple(ordered))


def cost_of(pricing: Pricing, usage: Usage) -> Decimal | None:
    """Dollars for `usage`; None when a price the usage needs is unknown.

    Cache reads and writes are parts of `prompt_tokens`, each at its own price (the input price
    when the model has none); reasoning tokens are part of `completion_tokens`, at the
    reasoning price when the model bills them apart. A usage with images, seconds of audio or
    characters is charged by those units when all of them are priced, else by its tokens (a
    token-billed image or speech model), never both."""
    if not _has_units(usage):
        return _token_cost(pricing, usage)
    units = unit_cost(pricing, usage)
    if units is not None:
        return units
    if not usage.prompt_tokens and not usage.completion_tokens:
        return None
    return _token_cost(pricing, usage)


def _token_cost(pricing: Pricing, usage: Usage) -> Decimal | None:
    prices = pricing.for_input(usage.prompt_tokens)
    if prices.input is None or (prices.output is None and usage.completion_tokens):
        return None
    output = prices.output or Decimal(0)
    cache_read = prices.cache_read if prices.cache_read is not None else prices.input
    cache_write = prices.cache_write if prices.cache_write is not None else prices.input
    reasoning = min(usage.reasoning_tokens, usage.completion_tokens)
    reasoning_price = prices.reasoning if prices.reasoning is not None else output
    return (
        usage.uncached_prompt_tokens * prices.input
        + usage.cached_tokens * cache_read
        + usage.cache_write_tokens * cache_write
        + (usage.completion_tokens - reasoning) * output
        + reasoning * reasoning_price
    )


def _has_units(usage: Usage) -> bool:
    return bool(usage.images or usage.audio_seconds or usage.characters)


def unit_cost(pricing: Pricing, usage: Usage) -> Decimal | None:
    """Dollars for the images, audio seconds and characters of `usage` (0 when it has none);
    None when one of them is used but has no price."""
    total = Decimal(0)
    for count, price in (
        (usage.images, pricing.image),
        (usage.audio_seconds, pricing.audio_second),
        (usage.characters, pricing.character),
    ):
        if count:
            if price is None:
                return None
            total += count * price
    return total


def worst_case_cost(
    pricing: Pricing,
    input_tokens: int,
    output_tokens: int,
    request_type: str = CHAT,
    units: Usage | None = None,
) -> Decimal | None:
    """The most a request can cost: every input token at the dearest input rate (a cache write
    costs more than plain input) and every output token at the dearer of output and reasoning.
    An input-only request type (embeddings) costs its input alone and needs no output price; a
    unit-priced one (images, speech, transcription) costs its worst-case `units` where they
    are priced, else its tokens."""
    if request_type in UNIT_PRICED and units is not None and _has_units(units):
        cost = unit_cost(pricing, units)
        if cost is not None:
            return cost
    prices = pricing.for_input(input_tokens)
    if prices.input is None:
        return None
    input_rate = max(prices.input, prices.cache_write or prices.input)
    if request_type in INPUT_ONLY:
        return input_tokens * input_rate
    if prices.output is None:
        return None
    output_rate = max(prices.output, prices.reasoning or prices.output)
    return input_tokens * input_rate + output_tokens * output_rate


class PriceBook:
    """`prices_for` remembered per snapshot: a request pays a dictionary lookup, not a catalogue
    search and a scan of the overrides. Bounded, since model names come from clients."""

    MAX_CACHED = 4096

    def __init__(self, catalogue: Catalogue) -> None:
        self.catalogue = catalogue
        self._snapshot: GovernanceSnapshot | None = None
        self._cache: dict[tuple[str, str, str | None, str | None, str], Prices] = {}

    def prices(
        self,
        snapshot: GovernanceSnapshot,
        provider: str,
        model: str,
        provider_key_id: str | None = None,
        virtual_key_id: str | None = None,
        *,
        request_type: str = CHAT,
    ) -> Prices:
        """`request_type` picks the overrides that apply (seed 002's `request_types`)."""
        if snapshot is not self._snapshot:
            self._snapshot, self._cache = snapshot, {}
        entry = (provider, model, provider_key_id, virtual_key_id, request_type)
        found = self._cache.get(entry)
        if found is None:
            if len(self._cache) >= self.MAX_CACHED:
                self._cache.clear()
            found = self._cache[entry] = prices_for(
                self.catalogue,
                snapshot,
                provider,
                model,
                request_type=request_type,
                provider_key_id=provider_key_id,
                virtual_key_id=virtual_key_id,
            )
        return found
