"""Response bodies of `/api/models...` in seed 000's shapes (ModelResponse,
ModelDetailsResponse), and a key's listing status on the keys API.

Costs go out under Bifrost's field names as JSON numbers, for display; the exact decimals stay
in the catalogue, where spend is computed. `/api/models/parameters` shows them exactly, as
decimal strings, for anyone checking a price.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from cloverleaf.catalogue import ModelCard, Pricing
from cloverleaf.management.models_service import ListedModel
from cloverleaf.pipeline.models import LIST_MODELS_FAILED, KeyListing

#: Bifrost's names for the per-token costs in a model details row
_COST_FIELDS = (
    ("input_cost_per_token", "input"),
    ("output_cost_per_token", "output"),
    ("cache_read_input_token_cost", "cache_read"),
    ("cache_creation_input_token_cost", "cache_write"),
    ("output_cost_per_reasoning_token", "reasoning"),
)


def render_listed(model: ListedModel) -> dict[str, Any]:
    rendered: dict[str, Any] = {"name": model.name, "provider": model.provider}
    if model.accessible_by_keys:
        rendered["accessible_by_keys"] = list(model.accessible_by_keys)
    return rendered


def render_details(model: ListedModel, card: ModelCard | None) -> dict[str, Any]:
    """A listed model plus whatever the catalogue knows about it (nothing is made up for a
    model the catalogue lacks)."""
    rendered = render_listed(model)
    if card is None:
        return rendered
    for name in ("context_length", "max_input_tokens", "max_output_tokens"):
        value = getattr(card, name)
        if value is not None:
            rendered[name] = value
    rendered["mode"] = card.mode
    rendered["architecture"] = {
        "modality": "+".join(card.input_modalities) + "->" + "+".join(card.output_modalities),
        "input_modalities": list(card.input_modalities),
        "output_modalities": list(card.output_modalities),
    }
    for field, attribute in _COST_FIELDS:
        price: Decimal | None = getattr(card.pricing, attribute)
        if price is not None:
            rendered[field] = float(price)
    return rendered


def render_parameters(card: ModelCard) -> dict[str, Any]:
    """What a request to this model may ask for, and the exact prices it is charged."""
    parameters: dict[str, Any] = {}
    if card.max_output_tokens is not None and card.mode != "embedding":
        parameters["max_tokens"] = {
            "type": "integer",
            "minimum": 1,
            "maximum": card.max_output_tokens,
        }
    return {
        "model": card.model,
        "provider": card.provider,
        "base_model": card.base_model,
        "mode": card.mode,
        "aliases": list(card.aliases),
        "context_length": card.context_length,
        "max_input_tokens": card.max_input_tokens,
        "max_output_tokens": card.max_output_tokens,
        "input_modalities": list(card.input_modalities),
        "output_modalities": list(card.output_modalities),
        "parameters": parameters,
        "pricing": render_pricing(card.pricing),
    }


def render_pricing(pricing: Pricing) -> dict[str, Any]:
    """USD per token as exact decimal strings; an unknown price is null, never 0."""
    rendered: dict[str, Any] = {
        name: _exact(getattr(pricing, name))
        for name in ("input", "output", "cache_read", "cache_write", "reasoning")
    }
    rendered["tiers"] = [
        {
            "above_input_tokens": tier.above_input_tokens,
            **{
                name: _exact(getattr(tier, name))
                for name in ("input", "output", "cache_read", "cache_write")
            },
        }
        for tier in pricing.tiers
    ]
    return rendered


def with_listing_status(key: dict[str, Any], listing: KeyListing | None) -> dict[str, Any]:
    """A rendered key with the outcome of its last model listing: `list_models_failed` and the
    reason, or `success`. Keys never listed (or of providers without a list) are unchanged."""
    if listing is None or not listing.fetched:
        return key
    if listing.error is not None:
        return {**key, "status": LIST_MODELS_FAILED, "description": listing.error}
    return {**key, "status": "success"}


def _exact(price: Decimal | None) -> str | None:
    return None if price is None else format(price, "f")
