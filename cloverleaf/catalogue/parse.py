"""Read a catalogue file into a `Catalogue`, refusing anything that is not exactly right.

Prices must be decimal strings (`"0.0000025"`), never JSON numbers: a float cannot hold most
prices exactly, and the file is where exactness starts. Unknown fields are errors, so a typo
(`cache_reed`) cannot silently leave a price out.
"""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Any

import orjson

from cloverleaf.catalogue.entries import Catalogue, ModelCard, PriceTier, Pricing, base_model_name
from cloverleaf.config.load import ConfigError

FORMAT_VERSION = 1
MODES = frozenset(
    {"chat", "completion", "responses", "embedding", "rerank", "image_generation", "audio"}
)
MODALITIES = frozenset({"text", "image", "audio", "video", "file", "embedding"})
_PRICE = re.compile(r"^\d+(\.\d+)?$")
_PRICE_FIELDS = ("input", "output", "cache_read", "cache_write")
#: prices of what is not billed by the token (not tiered)
_UNIT_FIELDS = ("image", "audio_second", "character")
_CARD_FIELDS = frozenset(
    {
        "provider",
        "model",
        "base_model",
        "mode",
        "context_length",
        "max_input_tokens",
        "max_output_tokens",
        "input_modalities",
        "output_modalities",
        "aliases",
        "pricing",
    }
)
_DOCUMENT_FIELDS = frozenset({"version", "mode", "updated", "notes", "provider_aliases", "models"})


class CatalogueError(ConfigError):
    """A catalogue file that cannot be used, with the place and the reason (a ConfigError: the
    CLI reports it like any other bad configuration)."""


def parse_catalogue(raw: bytes, source: str) -> tuple[Catalogue, bool]:
    """The catalogue in `raw`, and whether it replaces (rather than overlays) the shipped one."""
    try:
        document = orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        raise CatalogueError(f"{source}: not valid JSON: {exc}") from None
    if not isinstance(document, dict):
        raise CatalogueError(f"{source}: must be a JSON object with a `models` list")
    _no_unknown(document, _DOCUMENT_FIELDS, source)
    if document.get("version", FORMAT_VERSION) != FORMAT_VERSION:
        raise CatalogueError(f"{source}: version must be {FORMAT_VERSION}")
    mode = document.get("mode", "overlay")
    if mode not in ("overlay", "replace"):
        raise CatalogueError(f"{source}: mode must be `overlay` or `replace`, not {mode!r}")
    models = document.get("models")
    if not isinstance(models, list):
        raise CatalogueError(f"{source}: `models` must be a list")
    cards: list[ModelCard] = []
    seen: set[tuple[str, str]] = set()
    for index, item in enumerate(models):
        where = f"{source}: models[{index}]"
        card = _card(item, where)
        if (card.provider, card.model) in seen:
            raise CatalogueError(f"{where}: {card.provider}/{card.model} is listed twice")
        seen.add((card.provider, card.model))
        cards.append(card)
    aliases = document.get("provider_aliases", {})
    if not isinstance(aliases, dict) or not all(
        isinstance(k, str) and isinstance(v, str) and k and v for k, v in aliases.items()
    ):
        raise CatalogueError(f"{source}: provider_aliases must map names to provider names")
    return Catalogue(cards, source, aliases), mode == "replace"


def _card(item: Any, where: str) -> ModelCard:
    if not isinstance(item, dict):
        raise CatalogueError(f"{where}: must be an object")
    _no_unknown(item, _CARD_FIELDS, where)
    model = _text(item, "model", where)
    base = _text(item, "base_model", where) if "base_model" in item else base_model_name(model)
    mode = item.get("mode", "chat")
    if mode not in MODES:
        raise CatalogueError(f"{where}.mode: {mode!r} is not one of {', '.join(sorted(MODES))}")
    return ModelCard(
        provider=_text(item, "provider", where),
        model=model,
        base_model=base,
        mode=mode,
        context_length=_count(item, "context_length", where),
        max_input_tokens=_count(item, "max_input_tokens", where),
        max_output_tokens=_count(item, "max_output_tokens", where),
        input_modalities=_modalities(item, "input_modalities", where),
        output_modalities=_modalities(item, "output_modalities", where),
        pricing=_pricing(item.get("pricing", {}), f"{where}.pricing"),
        aliases=_names(item, "aliases", where),
    )


def _pricing(value: Any, where: str) -> Pricing:
    if not isinstance(value, dict):
        raise CatalogueError(f"{where}: must be an object")
    _no_unknown(value, frozenset({*_PRICE_FIELDS, *_UNIT_FIELDS, "reasoning", "tiers"}), where)
    tiers = value.get("tiers", [])
    if not isinstance(tiers, list):
        raise CatalogueError(f"{where}.tiers: must be a list")
    parsed = tuple(_tier(tier, f"{where}.tiers[{i}]") for i, tier in enumerate(tiers))
    thresholds = [tier.above_input_tokens for tier in parsed]
    if thresholds != sorted(set(thresholds)):
        raise CatalogueError(f"{where}.tiers: above_input_tokens must increase")
    return Pricing(
        input=_price(value, "input", where),
        output=_price(value, "output", where),
        cache_read=_price(value, "cache_read", where),
        cache_write=_price(value, "cache_write", where),
        reasoning=_price(value, "reasoning", where),
        tiers=parsed,
        image=_price(value, "image", where),
        audio_second=_price(value, "audio_second", where),
        character=_price(value, "character", where),
    )


def _tier(value: Any, where: str) -> PriceTier:
    if not isinstance(value, dict):
        raise CatalogueError(f"{where}: must be an object")
    _no_unknown(value, frozenset({*_PRICE_FIELDS, "above_input_tokens"}), where)
    threshold = _count(value, "above_input_tokens", where)
    if threshold is None:
        raise CatalogueError(f"{where}.above_input_tokens: required")
    return PriceTier(threshold, *(_price(value, name, where) for name in _PRICE_FIELDS))


def _price(item: dict[str, Any], name: str, where: str) -> Decimal | None:
    value = item.get(name)
    if value is None:
        return None
    if not isinstance(value, str) or not _PRICE.match(value):
        raise CatalogueError(
            f'{where}.{name}: must be a decimal string such as "0.0000025" (USD per token), '
            f"not {value!r}"
        )
    return Decimal(value)


def _count(item: dict[str, Any], name: str, where: str) -> int | None:
    value = item.get(name)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
        raise CatalogueError(f"{where}.{name}: must be a positive integer, not {value!r}")
    return value


def _text(item: dict[str, Any], name: str, where: str) -> str:
    value = item.get(name)
    if not isinstance(value, str) or not value.strip():
        raise CatalogueError(f"{where}.{name}: must be a non-empty string")
    return value


def _names(item: dict[str, Any], name: str, where: str) -> tuple[str, ...]:
    value = item.get(name, [])
    if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
        raise CatalogueError(f"{where}.{name}: must be a list of non-empty strings")
    return tuple(value)


def _modalities(item: dict[str, Any], name: str, where: str) -> tuple[str, ...]:
    value = _names(item, name, where) if name in item else ("text",)
    unknown = sorted(set(value) - MODALITIES)
    if unknown or not value:
        raise CatalogueError(
            f"{where}.{name}: use some of {', '.join(sorted(MODALITIES))} (got {list(value)})"
        )
    return value


def _no_unknown(item: dict[str, Any], known: frozenset[str], where: str) -> None:
    unknown = sorted(set(item) - known)
    if unknown:
        raise CatalogueError(f"{where}: unknown field(s) {', '.join(unknown)}")
