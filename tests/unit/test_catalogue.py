"""The shipped model catalogue, its lookups, and the checks on an operator's catalogue file."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from cloverleaf.catalogue import (
    ENV_VAR,
    Catalogue,
    CatalogueError,
    catalogue_from_env,
    shipped_catalogue,
)
from cloverleaf.catalogue.parse import parse_catalogue

PROVIDERS = {"openai", "anthropic", "gemini", "mistral", "groq", "xai", "cohere"}


@pytest.fixture(scope="module")
def shipped() -> Catalogue:
    return shipped_catalogue()


def test_shipped_catalogue_covers_the_main_providers(shipped: Catalogue) -> None:
    assert shipped.providers >= PROVIDERS
    assert len(shipped) >= 40


def test_shipped_prices_are_exact_and_plausible(shipped: Catalogue) -> None:
    """Per-token prices: a per-million figure pasted by mistake would be a million times off,
    a cache price above the input price or an output below it a swapped column."""
    for card in shipped:
        prices = card.pricing
        where = f"{card.provider}/{card.model}"
        if card.mode == "audio":  # per character spoken or second heard, not per token
            unit = prices.character or prices.audio_second
            assert unit is not None and Decimal("0.000001") <= unit <= Decimal("0.001"), where
            continue
        assert prices.input is not None, where
        assert isinstance(prices.input, Decimal)
        assert Decimal("0.00000001") <= prices.input <= Decimal("0.0001"), where
        if card.mode == "embedding":
            continue
        assert prices.output is not None and prices.output >= prices.input, where
        if prices.cache_read is not None:
            assert prices.cache_read < prices.input, where
        if prices.cache_write is not None:
            assert prices.cache_write > prices.input, where
        if card.context_length and card.max_output_tokens:
            assert card.max_output_tokens <= card.context_length, where


def test_exact_decimal_values(shipped: Catalogue) -> None:
    gpt4o = shipped.lookup("openai", "gpt-4o")
    assert gpt4o is not None
    assert gpt4o.pricing.input == Decimal("0.0000025")
    assert gpt4o.pricing.cache_read == Decimal("0.00000125")
    sonnet = shipped.lookup("anthropic", "claude-sonnet-4-5")
    assert sonnet is not None
    assert sonnet.pricing.cache_write == Decimal("0.00000375")
    # exact arithmetic: a million tokens cost exactly the list price
    assert gpt4o.pricing.output is not None
    assert gpt4o.pricing.output * 1_000_000 == Decimal("10")


@pytest.mark.parametrize(
    ("provider", "asked", "found"),
    [
        ("openai", "gpt-4o", "gpt-4o"),
        ("openai", "GPT-4o", "gpt-4o"),
        ("openai", "gpt-4o-2024-11-20", "gpt-4o"),  # a listed alias
        ("openai", "gpt-4.1-2026-01-01", "gpt-4.1"),  # an unlisted snapshot: date stripped
        ("openai", "openai/gpt-4o-mini", "gpt-4o-mini"),  # provider/ prefix
        ("openrouter", "openai/gpt-4o-mini", "gpt-4o-mini"),  # vendor/ prefix elsewhere
        ("anthropic", "claude-3-5-haiku-latest", "claude-3-5-haiku-20241022"),
        ("anthropic", "claude-sonnet-4-5", "claude-sonnet-4-5-20250929"),
        ("groq", "meta-llama/llama-4-scout-17b-16e-instruct", None),
        ("openai", "gpt-4o-2024-05-13", "gpt-4o-2024-05-13"),  # own (older, dearer) price
        ("google", "gemini-2.5-flash", "gemini-2.5-flash"),  # provider alias
    ],
)
def test_lookup_fallbacks(shipped: Catalogue, provider: str, asked: str, found: str | None) -> None:
    card = shipped.lookup(provider, asked)
    expected = found if found is not None else asked
    assert card is not None and card.model == expected


def test_lookup_misses_are_none(shipped: Catalogue) -> None:
    assert shipped.lookup("openai", "no-such-model") is None
    assert shipped.lookup("vllm", "gpt-4o") is None  # another host's price is not this one's
    assert shipped.lookup("anthropic", "gpt-4o") is None


def test_tiered_prices_apply_above_the_threshold(shipped: Catalogue) -> None:
    pro = shipped.lookup("gemini", "gemini-2.5-pro")
    assert pro is not None
    assert pro.pricing.for_input(200_000).input == Decimal("0.00000125")
    above = pro.pricing.for_input(200_001)
    assert (above.input, above.output) == (Decimal("0.0000025"), Decimal("0.000015"))
    assert above.cache_read == Decimal("0.00000025")


def test_base_models_and_find(shipped: Catalogue) -> None:
    assert "claude-opus-4" in shipped.base_models("anthropic")
    assert "gpt-4o" in shipped.base_models()
    assert [c.provider for c in shipped.find("anthropic/claude-haiku-4-5")] == ["anthropic"]


def _doc(**card: Any) -> bytes:
    base: dict[str, Any] = {"provider": "p", "model": "m", "pricing": {"input": "0.000001"}}
    return json.dumps({"models": [{**base, **card}]}).encode()


@pytest.mark.parametrize(
    ("raw", "words"),
    [
        (b"{nope", "not valid JSON"),
        (b"[]", "JSON object"),
        (json.dumps({"models": {}}).encode(), "`models` must be a list"),
        (json.dumps({"models": [], "version": 2}).encode(), "version must be 1"),
        (json.dumps({"models": [], "mode": "merge"}).encode(), "mode must be"),
        (_doc(pricing={"input": 0.000001}), "models[0].pricing.input: must be a decimal string"),
        (_doc(pricing={"input": "1e-6"}), "models[0].pricing.input"),
        (_doc(pricing={"input": "-0.1"}), "models[0].pricing.input"),
        (_doc(pricing={"cache_reed": "0.1"}), "unknown field(s) cache_reed"),
        (_doc(context_lenght=5), "unknown field(s) context_lenght"),
        (_doc(context_length=0), "models[0].context_length: must be a positive integer"),
        (_doc(context_length=True), "models[0].context_length"),
        (_doc(model=""), "models[0].model: must be a non-empty string"),
        (_doc(mode="telepathy"), "models[0].mode"),
        (_doc(input_modalities=["smell"]), "models[0].input_modalities"),
        (_doc(aliases="m2"), "models[0].aliases"),
        (
            _doc(pricing={"tiers": [{"above_input_tokens": 9}, {"above_input_tokens": 3}]}),
            "above_input_tokens must increase",
        ),
        (_doc(pricing={"tiers": [{"input": "0.1"}]}), "tiers[0].above_input_tokens: required"),
        (json.dumps({"models": [], "provider_aliases": {"g": 1}}).encode(), "provider_aliases"),
    ],
)
def test_bad_files_are_refused_with_the_place(raw: bytes, words: str) -> None:
    with pytest.raises(CatalogueError) as refused:
        parse_catalogue(raw, "prices.json")
    assert str(refused.value).startswith("prices.json")
    assert words in str(refused.value)


def test_duplicates_are_refused() -> None:
    card = {"provider": "p", "model": "m"}
    raw = json.dumps({"models": [card, card]}).encode()
    with pytest.raises(CatalogueError, match=r"models\[1\]: p/m is listed twice"):
        parse_catalogue(raw, "x.json")


def test_env_file_overlays_the_shipped_catalogue(shipped: Catalogue, tmp_path: Path) -> None:
    assert len(catalogue_from_env({})) == len(shipped)
    path = tmp_path / "prices.json"
    cheaper = {"provider": "openai", "model": "gpt-4o", "pricing": {"input": "0.000001"}}
    local = {"provider": "vllm", "model": "llama-x", "pricing": {"input": "0"}}
    path.write_text(json.dumps({"models": [cheaper, local]}))
    merged = catalogue_from_env({ENV_VAR: str(path)})
    assert len(merged) == len(shipped) + 1
    gpt4o = merged.lookup("openai", "gpt-4o")
    assert gpt4o is not None and gpt4o.pricing.input == Decimal("0.000001")
    assert gpt4o.pricing.output is None  # the operator's card replaces the shipped one whole
    assert merged.lookup("anthropic", "claude-haiku-4-5") is not None


def test_an_own_card_wins_over_another_cards_alias(tmp_path: Path) -> None:
    path = tmp_path / "prices.json"
    snapshot = {"provider": "openai", "model": "gpt-4o-2024-11-20", "pricing": {"input": "0.1"}}
    path.write_text(json.dumps({"models": [snapshot]}))
    card = catalogue_from_env({ENV_VAR: str(path)}).lookup("openai", "gpt-4o-2024-11-20")
    assert card is not None and card.pricing.input == Decimal("0.1")


def test_env_file_may_replace_the_shipped_catalogue(tmp_path: Path) -> None:
    path = tmp_path / "prices.json"
    card = {"provider": "vllm", "model": "llama-x"}
    path.write_text(json.dumps({"mode": "replace", "models": [card]}))
    replaced = catalogue_from_env({ENV_VAR: str(path)})
    assert len(replaced) == 1
    assert replaced.lookup("vllm", "llama-x") is not None


def test_env_file_problems_name_the_variable(tmp_path: Path) -> None:
    with pytest.raises(CatalogueError, match=f"{ENV_VAR}: .*missing.json: cannot be read"):
        catalogue_from_env({ENV_VAR: str(tmp_path / "missing.json")})
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"models": [{"provider": "p"}]}))
    with pytest.raises(CatalogueError, match=rf"{ENV_VAR}: .*bad.json: models\[0\]\.model"):
        catalogue_from_env({ENV_VAR: str(bad)})
