"""A budgeted virtual key is charged for Responses calls, at the prices scoped to the
`responses` request type, whole and streamed (usage from the terminal event)."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import openai
import pytest
from openai.types.responses import Response

from tests.e2e.enforcement import Cluster, G, cluster, eventually, virtual_key
from tests.mocks import responses_wire
from tests.mocks.openai_upstream import MockOpenAI

assert responses_wire.CREATED_AT  # imported for its registration of POST /v1/responses

MODEL = "priced-responder"
INPUT_PRICE, OUTPUT_PRICE = Decimal("0.001"), Decimal("0.002")


def _override(running: Cluster, request_types: list[str], input_price: Decimal) -> None:
    body = {
        "name": f"price-{uuid.uuid4().hex[:8]}",
        "scope_kind": "global",
        "match_type": "exact",
        "pattern": MODEL,
        "request_types": request_types,
        "patch": {
            "input_cost_per_token": float(input_price),
            "output_cost_per_token": float(OUTPUT_PRICE),
        },
    }
    running.api.ok("POST", f"{G}/pricing-overrides", body, status=201)


@pytest.fixture(scope="module")
def governed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Cluster]:
    with MockOpenAI() as upstream:
        workdir: Path = tmp_path_factory.mktemp("responses-governed")
        with cluster("sqlite", workdir, upstream.base_url) as running:
            _override(running, ["responses"], INPUT_PRICE)
            _override(running, ["chat_completion"], Decimal("0.5"))  # must not apply
            yield running


def _spent(running: Cluster, key_id: str) -> Decimal | None:
    found = running.api.ok("GET", f"{G}/virtual-keys/{key_id}")["virtual_key"]["budget"]
    return Decimal(str(found["current_usage"])) or None


@pytest.mark.parametrize("stream", [False, True])
def test_a_responses_call_is_charged_to_the_key(governed: Cluster, stream: bool) -> None:
    key_id, key = virtual_key(governed.api, budget={"max_limit": 1, "reset_duration": "1h"})
    answer: Response
    with openai.OpenAI(base_url=governed.urls[0] + "/v1", api_key=key, max_retries=0) as sdk:
        if stream:
            with sdk.responses.stream(
                model=f"openai/{MODEL}", input="a b c", max_output_tokens=16
            ) as events:
                answer = events.get_final_response()
        else:
            answer = sdk.responses.create(
                model=f"openai/{MODEL}", input="a b c", max_output_tokens=16
            )
    usage = answer.usage
    assert usage is not None and (usage.input_tokens, usage.output_tokens) == (3, 4)
    expected = 3 * INPUT_PRICE + 4 * OUTPUT_PRICE
    assert eventually(lambda: _spent(governed, key_id)) == expected


def test_a_key_without_budget_left_is_refused(governed: Cluster) -> None:
    """`max_output_tokens` bounds the reservation: 1000 output tokens at $0.002 is $2."""
    _, key = virtual_key(governed.api, budget={"max_limit": 0.5, "reset_duration": "1h"})
    sdk = openai.OpenAI(base_url=governed.urls[0] + "/v1", api_key=key, max_retries=0)
    with sdk, pytest.raises(openai.RateLimitError) as raised:
        sdk.responses.create(model=f"openai/{MODEL}", input="hi", max_output_tokens=1000)
    assert raised.value.code == "budget_exceeded"
