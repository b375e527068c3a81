"""Legacy completions are priced as `text_completion`: an override scoped to that request type
prices them and a chat-only one does not, whole and streamed."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import httpx
import orjson
import pytest

from tests.e2e.enforcement import Cluster, G, cluster, settles_to, virtual_key
from tests.mocks.openai_upstream import MockOpenAI

MODEL = "completer-priced-here"
INPUT, OUTPUT = Decimal("0.001"), Decimal("0.002")


def _override(running: Cluster, request_types: list[str], input_: Decimal, output: Decimal) -> None:
    body = {
        "name": f"price-{uuid.uuid4().hex[:8]}",
        "scope_kind": "global",
        "match_type": "exact",
        "pattern": MODEL,
        "request_types": request_types,
        "patch": {"input_cost_per_token": float(input_), "output_cost_per_token": float(output)},
    }
    running.api.ok("POST", f"{G}/pricing-overrides", body, status=201)


@pytest.fixture(scope="module")
def governed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Cluster]:
    with MockOpenAI(models=(MODEL,)) as upstream:
        workdir: Path = tmp_path_factory.mktemp("completions-priced")
        with cluster("sqlite", workdir, upstream.base_url) as running:
            _override(running, ["text_completion"], INPUT, OUTPUT)
            _override(running, ["chat_completion"], Decimal("0.5"), Decimal("0.5"))  # not these
            yield running


def _spent(running: Cluster, key_id: str) -> Decimal | None:
    found = running.api.ok("GET", f"{G}/virtual-keys/{key_id}")["virtual_key"]["budget"]
    return Decimal(str(found["current_usage"])) or None


@pytest.mark.parametrize("stream", [False, True])
def test_a_completion_is_charged_at_text_completion_prices(governed: Cluster, stream: bool) -> None:
    key_id, key = virtual_key(governed.api, budget={"max_limit": 100, "reset_duration": "1h"})
    body = {"model": f"openai/{MODEL}", "prompt": "one two three", "max_tokens": 20}
    if stream:
        body |= {"stream": True, "stream_options": {"include_usage": True}}
    answer = httpx.post(
        governed.urls[0] + "/v1/completions",
        json=body,
        headers={"authorization": f"Bearer {key}"},
        timeout=20,
    )
    assert answer.status_code == 200, answer.text
    if stream:
        usage_line = [line for line in answer.text.splitlines() if '"usage":{' in line][-1]
        usage = orjson.loads(usage_line.removeprefix("data: "))["usage"]
    else:
        usage = answer.json()["usage"]
    expected = usage["prompt_tokens"] * INPUT + usage["completion_tokens"] * OUTPUT
    settles_to(lambda: _spent(governed, key_id), expected)
