"""Embeddings under governance: a virtual key's provider allow-list, rate limit and budget
apply to `/v1/embeddings` as they do to chat, and the spend settles to the provider's usage."""

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

MODEL = "priced-embedder"
INPUT_PRICE = 0.001


@pytest.fixture(scope="module")
def governed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Cluster]:
    with MockOpenAI() as upstream:
        workdir: Path = tmp_path_factory.mktemp("embeddings-governed")
        with cluster("sqlite", workdir, upstream.base_url) as running:
            body = {
                "name": f"price-{uuid.uuid4().hex[:8]}",
                "scope_kind": "global",
                "match_type": "exact",
                "pattern": MODEL,
                # the price book looks prices up as chat_completion today (records carry no
                # request type yet): the override names both
                "request_types": ["embedding", "chat_completion"],
                "patch": {"input_cost_per_token": INPUT_PRICE, "output_cost_per_token": 0},
            }
            running.api.ok("POST", f"{G}/pricing-overrides", body, status=201)
            yield running


def _embed(gateway: Cluster, key: str, text: str = "a b c d") -> httpx.Response:
    body: dict[str, Any] = {"model": f"openai/{MODEL}", "input": text}
    headers = {"authorization": f"Bearer {key}"}
    return httpx.post(gateway.urls[0] + "/v1/embeddings", json=body, headers=headers, timeout=20)


def test_spend_settles_to_the_providers_usage(governed: Cluster) -> None:
    key_id, key = virtual_key(governed.api, budget={"max_limit": 1, "reset_duration": "1h"})
    answer = _embed(governed, key)
    assert answer.status_code == 200 and answer.json()["usage"]["prompt_tokens"] == 4
    path = f"{G}/virtual-keys/{key_id}"

    def spent() -> Decimal | None:
        usage = Decimal(str(governed.api.ok("GET", path)["virtual_key"]["budget"]["current_usage"]))
        return usage or None

    settles_to(spent, Decimal("0.004"))  # 4 tokens at $0.001


def test_provider_allow_list_and_rate_limit(governed: Cluster) -> None:
    _, nothing = virtual_key(governed.api, provider_configs=[])
    assert _embed(governed, nothing).status_code == 403
    limit = {"request_max_limit": 1, "request_reset_duration": "1m"}
    _, limited = virtual_key(governed.api, rate_limit=limit)
    assert _embed(governed, limited).status_code == 200
    refused = _embed(governed, limited)
    assert refused.status_code == 429 and refused.headers.get("retry-after")
