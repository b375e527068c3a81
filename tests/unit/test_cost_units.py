"""Images, audio seconds and characters are priced by their own unit: exactly, never $0 when the
price is unknown, never charged twice when the upstream also reports tokens."""

from __future__ import annotations

from decimal import Decimal

import orjson
import pytest

from cloverleaf.catalogue.entries import Pricing
from cloverleaf.catalogue.parse import CatalogueError, parse_catalogue
from cloverleaf.core.usage import Usage
from cloverleaf.governance.cost import Prices, apply_patch, cost_of, worst_case_cost

D = Decimal
TOKENS = Pricing(input=D("0.000005"), output=D("0.00004"))


def test_images_are_priced_per_image() -> None:
    pricing = Pricing(image=D("0.04"))
    assert cost_of(pricing, Usage(images=3)) == D("0.12")


def test_characters_and_seconds_are_priced_exactly() -> None:
    assert cost_of(Pricing(character=D("0.000015")), Usage(characters=1000)) == D("0.015")
    seconds = Pricing(audio_second=D("0.0001"))
    assert cost_of(seconds, Usage(audio_seconds=D("8.47"))) == D("0.000847")


def test_an_unpriced_unit_is_unknown_not_free() -> None:
    assert cost_of(Pricing(), Usage(images=1)) is None
    assert cost_of(Pricing(image=D("0.04")), Usage(images=1, characters=5)) is None


def test_token_billed_models_fall_back_to_tokens_and_never_pay_twice() -> None:
    usage = Usage(prompt_tokens=10, completion_tokens=100, total_tokens=110, images=1)
    assert cost_of(TOKENS, usage) == D("0.00405")  # no per-image price: the tokens
    both = Pricing(input=D("0.000005"), output=D("0.00004"), image=D("0.04"))
    assert cost_of(both, usage) == D("0.04")  # the unit wins, tokens are not added


def test_token_usage_without_units_is_unchanged() -> None:
    usage = Usage(prompt_tokens=1000, completion_tokens=10, total_tokens=1010)
    assert cost_of(TOKENS, usage) == D("0.0054")
    assert cost_of(Pricing(image=D("0.04")), usage) is None


def test_worst_case_of_a_unit_priced_request_is_its_units() -> None:
    pricing = Pricing(image=D("0.04"))
    assert worst_case_cost(pricing, 50, 0, "image_generation", Usage(images=2)) == D("0.08")
    assert worst_case_cost(Pricing(), 50, 0, "image_generation", Usage(images=2)) is None
    # a token-billed image model reserves by tokens
    assert worst_case_cost(TOKENS, 10, 100, "image_generation", Usage(images=1)) == D("0.00405")
    speech = Pricing(character=D("0.000015"))
    assert worst_case_cost(speech, 0, 0, "speech", Usage(characters=200)) == D("0.003")


def test_overrides_set_unit_prices() -> None:
    patched = apply_patch(
        Pricing(),
        {
            "output_cost_per_image": D("0.02"),
            "input_cost_per_character": D("0.00003"),
            "input_cost_per_second": D("0.0002"),
            "input_cost_per_audio_per_second": D("0.0001"),
        },
    )
    assert patched.image == D("0.02")
    assert patched.character == D("0.00003")
    assert patched.audio_second == D("0.0001")  # the audio-specific field wins
    assert apply_patch(Pricing(), {"input_cost_per_second": D("0.0002")}).audio_second == D(
        "0.0002"
    )


def test_a_unit_price_makes_its_request_type_priced() -> None:
    assert Prices(Pricing(image=D("0.04")), False, None, "image_generation").priced
    assert not Prices(Pricing(image=D("0.04")), False, None, "speech").priced
    assert Prices(Pricing(character=D("0.000015")), False, None, "speech").priced


def test_catalogue_reads_unit_prices_exactly() -> None:
    document = {
        "version": 1,
        "models": [
            {"provider": "openai", "model": "dall-e-3", "pricing": {"image": "0.04"}},
            {"provider": "openai", "model": "tts-1", "pricing": {"character": "0.000015"}},
            {"provider": "openai", "model": "whisper-1", "pricing": {"audio_second": "0.0001"}},
        ],
    }
    catalogue, _ = parse_catalogue(orjson.dumps(document), "test")
    card = catalogue.lookup("openai", "dall-e-3")
    assert card is not None and card.pricing.image == D("0.04")
    tts = catalogue.lookup("openai", "tts-1")
    assert tts is not None and tts.pricing.character == D("0.000015")
    whisper = catalogue.lookup("openai", "whisper-1")
    assert whisper is not None and whisper.pricing.audio_second == D("0.0001")
    unknown = {"models": [{"provider": "o", "model": "m", "pricing": {"pixel": "1"}}]}
    with pytest.raises(CatalogueError, match="pixel"):
        parse_catalogue(orjson.dumps(unknown), "test")
