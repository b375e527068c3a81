"""Embeddings are priced and limited as embeddings: the catalogue's input-only price of an
embedding model is enough for a budget-limited key, overrides scoped to the `embedding` request
type apply (and chat-only ones do not), and the reservation is the input's cost alone."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.e2e.enforcement import Cluster, G, cluster, settles_to, virtual_key
from tests.mocks.openai_upstream import MockOpenAI

#: priced by the shipped catalogue: input only ($0.00000002 a token), no output price
CATALOGUE_MODEL = "text-embedding-3-small"
CATALOGUE_PRICE = Decimal("0.00000002")
#: priced only by this module's embedding-scoped override
OVERRIDDEN = "embedder-priced-here"
EMBEDDING_PRICE = Decimal("0.001")


def _override(cluster_: Cluster, request_types: list[str], input_price: str) -> None:
    body = {
        "name": f"price-{uuid.uuid4().hex[:8]}",
        "scope_kind": "global",
        "match_type": "exact",
        "pattern": OVERRIDDEN,
        "request_types": request_types,
        "patch": {"input_cost_per_token": float(input_price)},
    }
    cluster_.api.ok("POST", f"{G}/pricing-overrides", body, status=201)


@pytest.fixture(scope="module")
def governed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Cluster]:
    with MockOpenAI() as upstream:
        workdir: Path = tmp_path_factory.mktemp("embeddings-priced")
        with cluster("sqlite", workdir, upstream.base_url) as running:
            _override(running, ["embedding"], str(EMBEDDING_PRICE))
            # a chat-only override at another price must not touch embeddings
            _override(running, ["chat_completion"], "0.5")
            yield running


def _embed(gateway: Cluster, key: str, model: str, text: str) -> httpx.Response:
    body: dict[str, Any] = {"model": f"openai/{model}", "input": text}
    headers = {"authorization": f"Bearer {key}"}
    return httpx.post(gateway.urls[0] + "/v1/embeddings", json=body, headers=headers, timeout=20)


def _spent(gateway: Cluster, key_id: str) -> Decimal | None:
    found = gateway.api.ok("GET", f"{G}/virtual-keys/{key_id}")["virtual_key"]["budget"]
    usage = Decimal(str(found["current_usage"]))
    return usage or None


def test_a_catalogue_embedding_model_is_priced_for_a_budgeted_key(governed: Cluster) -> None:
    key_id, key = virtual_key(governed.api, budget={"max_limit": 1, "reset_duration": "1h"})
    answer = _embed(governed, key, CATALOGUE_MODEL, "one two three four five")
    assert answer.status_code == 200, answer.text
    tokens = answer.json()["usage"]["prompt_tokens"]
    assert tokens > 0
    settles_to(lambda: _spent(governed, key_id), tokens * CATALOGUE_PRICE)


def test_the_embedding_override_prices_and_settles(governed: Cluster) -> None:
    key_id, key = virtual_key(governed.api, budget={"max_limit": 1, "reset_duration": "1h"})
    answer = _embed(governed, key, OVERRIDDEN, "a b c d")
    assert answer.status_code == 200, answer.text
    tokens = answer.json()["usage"]["prompt_tokens"]
    settles_to(lambda: _spent(governed, key_id), tokens * EMBEDDING_PRICE)


def test_the_reservation_is_the_inputs_cost(governed: Cluster) -> None:
    """400 characters estimate to 100 input tokens: $0.10 at the embedding price. A budget of
    $0.05 cannot hold that worst case; one of $0.20 can (no output is reserved on top)."""
    text = "x" * 400
    _, small = virtual_key(governed.api, budget={"max_limit": 0.05, "reset_duration": "1h"})
    refused = _embed(governed, small, OVERRIDDEN, text)
    assert refused.status_code == 429, refused.text
    assert refused.json()["error"]["code"] == "budget_exceeded"
    _, enough = virtual_key(governed.api, budget={"max_limit": 0.2, "reset_duration": "1h"})
    assert _embed(governed, enough, OVERRIDDEN, text).status_code == 200
