"""The model catalogue's types: what a model can take and what a token of it costs.

Prices are `Decimal`s per token, exactly as the catalogue file writes them, so cost arithmetic
never goes through a float. A price that is `None` is unknown ("unpriced"), never zero.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from decimal import Decimal

#: `-2024-08-06`, `-20250514`: a dated snapshot of a base model
_DATE_SUFFIX = re.compile(r"-(?:\d{4}-\d{2}-\d{2}|\d{8})$")
_MOVING_SUFFIX = "-latest"


@dataclass(frozen=True, slots=True)
class PriceTier:
    """Prices that replace the base ones once a request's input exceeds `above_input_tokens`
    (Gemini 2.5 Pro above 200k tokens); a `None` field keeps the base price."""

    above_input_tokens: int
    input: Decimal | None = None
    output: Decimal | None = None
    cache_read: Decimal | None = None
    cache_write: Decimal | None = None


@dataclass(frozen=True, slots=True)
class Pricing:
    """USD per token. `cache_read` is a cached-input hit, `cache_write` creating a cache entry
    (Anthropic's 5-minute write), `reasoning` a separate rate for reasoning tokens where a
    provider bills them apart from output (absent: they are output tokens). `image`,
    `audio_second` and `character` price what is not billed by the token: an image generated,
    a second of audio transcribed, a character of text spoken."""

    input: Decimal | None = None
    output: Decimal | None = None
    cache_read: Decimal | None = None
    cache_write: Decimal | None = None
    reasoning: Decimal | None = None
    tiers: tuple[PriceTier, ...] = ()
    image: Decimal | None = None
    audio_second: Decimal | None = None
    character: Decimal | None = None

    def for_input(self, input_tokens: int) -> Pricing:
        """The prices that apply to a request with this many input tokens."""
        tier = next((t for t in reversed(self.tiers) if input_tokens > t.above_input_tokens), None)
        if tier is None:
            return self
        return Pricing(
            input=_first(tier.input, self.input),
            output=_first(tier.output, self.output),
            cache_read=_first(tier.cache_read, self.cache_read),
            cache_write=_first(tier.cache_write, self.cache_write),
            reasoning=self.reasoning,
            image=self.image,
            audio_second=self.audio_second,
            character=self.character,
        )


@dataclass(frozen=True, slots=True)
class ModelCard:
    """One model as one provider serves it."""

    provider: str
    model: str
    base_model: str
    mode: str
    context_length: int | None
    max_input_tokens: int | None
    max_output_tokens: int | None
    input_modalities: tuple[str, ...]
    output_modalities: tuple[str, ...]
    pricing: Pricing
    #: other ids the provider accepts for this model (dated snapshots, `-latest`)
    aliases: tuple[str, ...] = ()


class Catalogue:
    """Immutable; a refresh builds a new one. Lookups try the exact id, then sensible
    spellings of it (see `lookup`)."""

    def __init__(
        self,
        cards: Iterable[ModelCard],
        source: str = "",
        provider_aliases: Mapping[str, str] | None = None,
    ) -> None:
        self.source = source
        #: another name a provider is configured under (`google` for `gemini`)
        self.provider_aliases = dict(provider_aliases or {})
        self._cards: dict[tuple[str, str], ModelCard] = {}
        self._names: dict[tuple[str, str], ModelCard] = {}
        for card in cards:
            self._cards[(card.provider, card.model)] = card
        for card in self._cards.values():  # a model's own id wins over another's alias
            self._names.setdefault((card.provider, card.model.lower()), card)
        for card in self._cards.values():
            for alias in card.aliases:
                self._names.setdefault((card.provider, alias.lower()), card)

    def __len__(self) -> int:
        return len(self._cards)

    def __iter__(self) -> Iterator[ModelCard]:
        return iter(sorted(self._cards.values(), key=lambda c: (c.provider, c.model)))

    @property
    def providers(self) -> frozenset[str]:
        return frozenset(provider for provider, _ in self._cards)

    def overlay(self, other: Catalogue) -> Catalogue:
        """This catalogue with `other`'s cards added, replacing any with the same id."""
        merged: Mapping[tuple[str, str], ModelCard] = {**self._cards, **other._cards}
        aliases = {**self.provider_aliases, **other.provider_aliases}
        return Catalogue(merged.values(), f"{self.source} + {other.source}", aliases)

    def lookup(self, provider: str, model: str) -> ModelCard | None:
        """The card for `model` served by `provider`, trying in turn: the id as given (or a
        listed alias), without a `provider/` prefix, under the provider a `vendor/` prefix
        names (OpenRouter style), and without a date or `-latest` suffix; a provider alias
        (`google`) is looked up under the provider it names."""
        provider = self.provider_aliases.get(provider, provider)
        for candidate_provider, candidate in _spellings(provider, model):
            card = self._names.get((candidate_provider, candidate.lower()))
            if card is not None:
                return card
        return None

    def find(self, model: str) -> list[ModelCard]:
        """Every provider's card for `model` (an id, alias or `provider/model`)."""
        prefix, sep, rest = model.partition("/")
        if sep and (prefix in self.providers or prefix in self.provider_aliases):
            card = self.lookup(prefix, rest)
            return [card] if card is not None else []
        found = (self.lookup(provider, model) for provider in sorted(self.providers))
        return [card for card in found if card is not None]

    def base_models(self, provider: str | None = None) -> list[str]:
        if provider is not None:
            provider = self.provider_aliases.get(provider, provider)
        names = {c.base_model for c in self._cards.values() if provider in (None, c.provider)}
        return sorted(names)


def base_model_name(model: str) -> str:
    """A model id without its snapshot date or `-latest` suffix."""
    return _DATE_SUFFIX.sub("", model.removesuffix(_MOVING_SUFFIX))


def _spellings(provider: str, model: str) -> Iterator[tuple[str, str]]:
    candidates = [(provider, model)]
    prefix, sep, rest = model.partition("/")
    if sep and rest:
        candidates.append((prefix, rest))  # `openai/gpt-4o` on its own provider or OpenRouter
    yield from candidates
    for owner, name in candidates:
        base = base_model_name(name)
        if base != name:
            yield owner, base


def _first(value: Decimal | None, fallback: Decimal | None) -> Decimal | None:
    return value if value is not None else fallback
