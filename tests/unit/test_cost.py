"""Cost is usage times prices in exact decimals: cached input and reasoning at their own rates, tiers
by input size, the most specific pricing override winning, and an unknown price never $0."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from decimal import Decimal

import pytest

from cloverleaf.catalogue.entries import Catalogue, ModelCard, PriceTier, Pricing
from cloverleaf.core.usage import Usage
from cloverleaf.governance.cost import PriceBook, apply_patch, cost_of, prices_for, worst_case_cost
from cloverleaf.governance.models import GovernanceSnapshot, PricingOverride

D = Decimal
NOW = datetime(2026, 1, 1, tzinfo=UTC)
BASE = Pricing(
    input=D("0.000003"),
    output=D("0.000015"),
    cache_read=D("0.0000003"),
    cache_write=D("0.00000375"),
)


def card(model: str, pricing: Pricing) -> ModelCard:
    return ModelCard(
        "openai", model, model, "chat", None, None, 8192, ("text",), ("text",), pricing
    )


def override(
    scope: str,
    output: str,
    *,
    pattern: str = "gpt-x",
    match: str = "exact",
    request_types: tuple[str, ...] = ("chat_completion",),
    **ids: str,
) -> PricingOverride:
    return PricingOverride(
        id=f"{scope}-{match}-{output}",
        name=scope,
        scope_kind=scope,
        virtual_key_id=ids.get("virtual_key_id"),
        provider_id=ids.get("provider_id"),
        provider_key_id=ids.get("provider_key_id"),
        match_type=match,
        pattern=pattern,
        request_types=request_types,
        patch={"output_cost_per_token": D(output)},
        config_hash=None,
        created_at=NOW,
        updated_at=NOW,
    )


def snapshot(*overrides: PricingOverride) -> GovernanceSnapshot:
    return GovernanceSnapshot(version=1, pricing_overrides={o.id: o for o in overrides})


def test_input_and_output_in_exact_decimals() -> None:
    usage = Usage(prompt_tokens=1000, completion_tokens=500)
    assert cost_of(BASE, usage) == D("0.0105")  # 1000 * 0.000003 + 500 * 0.000015


def test_cache_reads_writes_and_reasoning_at_their_own_rates() -> None:
    usage = Usage(
        prompt_tokens=1000,
        completion_tokens=300,
        cached_tokens=600,
        cache_write_tokens=100,
        reasoning_tokens=200,
    )
    priced = replace(BASE, reasoning=D("0.00006"))
    expected = (
        300 * D("0.000003")  # uncached input
        + 600 * D("0.0000003")  # cache reads
        + 100 * D("0.00000375")  # cache writes
        + 100 * D("0.000015")  # visible output
        + 200 * D("0.00006")  # reasoning
    )
    assert cost_of(priced, usage) == expected
    # no cache or reasoning prices: those tokens cost what input and output cost
    plain = Pricing(input=D("0.000003"), output=D("0.000015"))
    assert cost_of(plain, usage) == 1000 * D("0.000003") + 300 * D("0.000015")


def test_a_tier_applies_above_its_input_size() -> None:
    tiered = Pricing(
        input=D("0.00000125"),
        output=D("0.00001"),
        tiers=(PriceTier(200_000, input=D("0.0000025"), output=D("0.000015")),),
    )
    assert cost_of(tiered, Usage(200_000, 10)) == 200_000 * D("0.00000125") + 10 * D("0.00001")
    assert cost_of(tiered, Usage(200_001, 10)) == 200_001 * D("0.0000025") + 10 * D("0.000015")


def test_unknown_prices_are_unpriced_never_zero() -> None:
    assert cost_of(Pricing(), Usage(10, 10)) is None
    assert cost_of(Pricing(input=D("0.000001")), Usage(10, 10)) is None
    assert cost_of(Pricing(input=D("0.000001")), Usage(10, 0)) == D("0.00001")  # embeddings
    assert worst_case_cost(Pricing(input=D("0.000001")), 10, 10) is None


def test_worst_case_takes_the_dearest_rates() -> None:
    priced = Pricing(
        input=D("0.000003"),
        output=D("0.000015"),
        cache_write=D("0.00000375"),
        reasoning=D("0.00002"),
    )
    assert worst_case_cost(priced, 100, 10) == 100 * D("0.00000375") + 10 * D("0.00002")


def test_patch_replaces_only_the_fields_it_names() -> None:
    patched = apply_patch(
        BASE,
        {
            "input_cost_per_token": D("0.000001"),
            "input_cost_per_token_above_200k_tokens": D("0.000002"),
        },
    )
    assert patched.input == D("0.000001")
    assert (patched.output, patched.cache_read) == (BASE.output, BASE.cache_read)
    assert patched.tiers == (PriceTier(200_000, input=D("0.000002")),)


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ({"provider": "azure"}, "0.1"),
        ({"provider": "openai"}, "0.2"),
        ({"provider": "openai", "provider_key_id": "k1"}, "0.3"),
        ({"provider": "openai", "virtual_key_id": "vk"}, "0.5"),
        ({"provider": "openai", "provider_key_id": "k1", "virtual_key_id": "vk"}, "0.6"),
        ({"provider": "anthropic", "provider_key_id": "k2", "virtual_key_id": "vk"}, "0.4"),
    ],
)
def test_most_specific_override_wins(given: dict[str, str], expected: str) -> None:
    overrides = snapshot(
        override("global", "0.1"),
        override("provider", "0.2", provider_id="openai"),
        override("provider_key", "0.3", provider_key_id="k1"),
        override("virtual_key", "0.4", virtual_key_id="vk"),
        override("virtual_key_provider", "0.5", virtual_key_id="vk", provider_id="openai"),
        override("virtual_key_provider_key", "0.6", virtual_key_id="vk", provider_key_id="k1"),
    )
    provider = given.get("provider", "openai")
    prices = prices_for(
        Catalogue([card("gpt-x", BASE)]),
        overrides,
        provider,
        "gpt-x",
        provider_key_id=given.get("provider_key_id"),
        virtual_key_id=given.get("virtual_key_id"),
    )
    assert prices.overridden
    assert prices.pricing.output == D(expected)
    if provider == "openai":  # the catalogue's price, not patched; others have no card
        assert prices.pricing.input == BASE.input


def test_exact_beats_wildcard_and_request_types_filter() -> None:
    overrides = snapshot(
        override("global", "0.7", pattern="gpt-*", match="wildcard"),
        override("global", "0.8"),
        override("global", "0.9", request_types=("embedding",)),
    )
    catalogue = Catalogue([card("gpt-x", BASE)])
    assert prices_for(catalogue, overrides, "openai", "gpt-x").pricing.output == D("0.8")
    assert prices_for(catalogue, overrides, "openai", "gpt-y").pricing.output == D("0.7")


def test_an_override_prices_a_model_the_catalogue_lacks() -> None:
    catalogue = Catalogue([])
    bare = prices_for(catalogue, snapshot(), "openai", "gpt-x")
    assert not bare.priced and not bare.overridden
    patch = {"input_cost_per_token": D(0), "output_cost_per_token": D("0.002")}
    full = replace(override("global", "0.002"), patch=patch)
    assert prices_for(catalogue, snapshot(full), "openai", "gpt-x").priced


def test_price_book_follows_the_snapshot() -> None:
    book = PriceBook(Catalogue([card("gpt-x", BASE)]))
    first = snapshot(override("global", "0.1"))
    assert book.prices(first, "openai", "gpt-x").pricing.output == D("0.1")
    second = snapshot(override("global", "0.2"))
    assert book.prices(second, "openai", "gpt-x").pricing.output == D("0.2")


def test_embeddings_are_priced_by_input_alone() -> None:
    """An embedding model's card has an input price only: priced as an embedding, unpriced as
    a chat completion (a chat needs an output price)."""
    embedder = Pricing(input=D("0.00000002"))
    catalogue = Catalogue([card("embed-x", embedder)])
    as_embedding = prices_for(catalogue, snapshot(), "openai", "embed-x", request_type="embedding")
    assert as_embedding.priced
    assert not prices_for(catalogue, snapshot(), "openai", "embed-x").priced
    assert worst_case_cost(embedder, 1000, 0, "embedding") == 1000 * D("0.00000002")
    assert worst_case_cost(embedder, 1000, 10) is None
    assert cost_of(embedder, Usage(prompt_tokens=7, completion_tokens=0)) == 7 * D("0.00000002")


def test_price_book_looks_up_by_request_type() -> None:
    """The override for embeddings applies to embeddings only, and the book keeps the two
    apart in its cache."""
    book = PriceBook(Catalogue([card("gpt-x", BASE)]))
    overrides = snapshot(override("global", "0.9", request_types=("embedding",)))
    assert book.prices(overrides, "openai", "gpt-x").pricing.output == BASE.output
    embedding = book.prices(overrides, "openai", "gpt-x", request_type="embedding")
    assert embedding.pricing.output == D("0.9")
    assert book.prices(overrides, "openai", "gpt-x").pricing.output == BASE.output
