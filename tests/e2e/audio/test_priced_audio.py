"""Audio is priced and limited by its units: characters spoken (`input_cost_per_character`,
scoped to `speech`) and seconds heard (`input_cost_per_audio_per_second`, scoped to
`transcription`) are charged to a budgeted virtual key, and the reservation is the request's
worst case at those prices (the input's characters; the WAV header's seconds)."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import openai
import pytest

from tests.e2e.audio.conftest import wav_file
from tests.e2e.enforcement import Cluster, G, cluster, eventually, virtual_key
from tests.mocks import audio_wire
from tests.mocks.openai_upstream import MockOpenAI

#: priced only by this module's overrides
SPEECH_MODEL = "tts-priced-here"
HEARING_MODEL = "whisper-priced-here"
PER_CHARACTER = Decimal("0.001")
PER_SECOND = Decimal("0.01")


@pytest.fixture(scope="module")
def governed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Cluster]:
    assert audio_wire.SAMPLE_RATE  # the OpenAI mock answers audio
    with MockOpenAI() as upstream:
        workdir: Path = tmp_path_factory.mktemp("audio-priced")
        with cluster("sqlite", workdir, upstream.base_url) as running:
            for pattern, kind, patch in (
                (SPEECH_MODEL, "speech", {"input_cost_per_character": float(PER_CHARACTER)}),
                (HEARING_MODEL, "transcription", {"input_cost_per_audio_per_second": 0.01}),
            ):
                body = {
                    "name": f"price-{uuid.uuid4().hex[:8]}",
                    "scope_kind": "global",
                    "match_type": "exact",
                    "pattern": pattern,
                    "request_types": [kind],
                    "patch": patch,
                }
                running.api.ok("POST", f"{G}/pricing-overrides", body, status=201)
            yield running


def _sdk(gateway: Cluster, key: str) -> openai.OpenAI:
    return openai.OpenAI(base_url=gateway.urls[0] + "/v1", api_key=key, max_retries=0, timeout=20)


def _spent(gateway: Cluster, key_id: str) -> Decimal | None:
    found = gateway.api.ok("GET", f"{G}/virtual-keys/{key_id}")["virtual_key"]["budget"]
    return Decimal(str(found["current_usage"])) or None


def test_speech_is_charged_per_character(governed: Cluster) -> None:
    key_id, key = virtual_key(governed.api, budget={"max_limit": 1, "reset_duration": "1h"})
    with _sdk(governed, key) as sdk:
        sdk.audio.speech.create(model=f"openai/{SPEECH_MODEL}", voice="alloy", input="x" * 100)
    assert eventually(lambda: _spent(governed, key_id)) == 100 * PER_CHARACTER


def test_speech_reserves_its_characters(governed: Cluster) -> None:
    """100 characters at $0.001 reserve $0.10: a $0.05 budget cannot hold them, 40 fit."""
    _, key = virtual_key(governed.api, budget={"max_limit": 0.05, "reset_duration": "1h"})
    with _sdk(governed, key) as sdk:
        with pytest.raises(openai.RateLimitError) as refused:
            sdk.audio.speech.create(model=f"openai/{SPEECH_MODEL}", voice="alloy", input="x" * 100)
        assert refused.value.code == "budget_exceeded"
        sdk.audio.speech.create(model=f"openai/{SPEECH_MODEL}", voice="alloy", input="x" * 40)


def test_transcription_is_charged_per_second(governed: Cluster) -> None:
    """The mock bills 1.5 s as OpenAI does, `usage.seconds` rounded up: 2 s."""
    key_id, key = virtual_key(governed.api, budget={"max_limit": 1, "reset_duration": "1h"})
    with _sdk(governed, key) as sdk:
        answer = sdk.audio.transcriptions.create(
            model=f"openai/{HEARING_MODEL}", file=("a.wav", wav_file(1.5))
        )
    assert answer.usage is not None and answer.usage.seconds == 2  # type: ignore[union-attr]
    assert eventually(lambda: _spent(governed, key_id)) == 2 * PER_SECOND


def test_transcription_reserves_the_wav_headers_seconds(governed: Cluster) -> None:
    """A 1.5 s WAV reserves $0.015, more than a $0.01 budget; a 0.5 s one fits."""
    _, key = virtual_key(governed.api, budget={"max_limit": 0.01, "reset_duration": "1h"})
    with _sdk(governed, key) as sdk:
        with pytest.raises(openai.RateLimitError) as refused:
            sdk.audio.transcriptions.create(
                model=f"openai/{HEARING_MODEL}", file=("a.wav", wav_file(1.5))
            )
        assert refused.value.code == "budget_exceeded"
        sdk.audio.transcriptions.create(
            model=f"openai/{HEARING_MODEL}", file=("a.wav", wav_file(0.5))
        )
